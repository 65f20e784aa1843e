/** Media types for the files the providers serve, by extension; n8n needs one for each binary. */
const TYPES: Record<string, string> = {
  tif: 'image/tiff',
  tiff: 'image/tiff',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  json: 'application/json',
  geojson: 'application/geo+json',
  nc: 'application/x-netcdf',
  zip: 'application/zip',
  tar: 'application/x-tar',
  xml: 'application/xml',
  txt: 'text/plain',
  csv: 'text/csv',
};

/** The media type of `fileName`, `application/octet-stream` when the extension is unknown. */
export function mimeTypeOf(fileName: string): string {
  const ext = /\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase();
  return (ext && TYPES[ext]) || 'application/octet-stream';
}

/** The usual extension for a media type. */
export function extensionOf(mimeType: string): string {
  const found = Object.entries(TYPES).find(([, type]) => type === mimeType);
  return found ? found[0] : 'bin';
}
