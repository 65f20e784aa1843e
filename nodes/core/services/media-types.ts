/**
 * Media types of the files the providers serve, by extension: the name a Process output or a
 * download is saved under follows its type, and n8n needs a type for every binary it stores.
 *
 * A tar is `application/tar`: the type Sentinel Hub's Process API names for several outputs in
 * one answer (Accept: application/tar) and sends back. `application/x-tar`, the older name other
 * servers use, still maps to `.tar`.
 */

/** Extension → media type; the first extension of a type is the one files get. */
const TYPES_BY_EXTENSION: Readonly<Record<string, string>> = {
  tif: 'image/tiff',
  tiff: 'image/tiff',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  json: 'application/json',
  geojson: 'application/geo+json',
  nc: 'application/x-netcdf',
  zip: 'application/zip',
  tar: 'application/tar',
  xml: 'application/xml',
  txt: 'text/plain',
  csv: 'text/csv',
};

/** Other names of the types above. */
const ALIASES: Readonly<Record<string, string>> = {
  'application/x-tar': 'application/tar',
  'image/jpg': 'image/jpeg',
};

/** Type → the extension files of that type get. */
const EXTENSION_BY_TYPE: ReadonlyMap<string, string> = new Map(
  Object.entries(TYPES_BY_EXTENSION)
    .reverse()
    .map(([ext, type]) => [type, ext]),
);

/**
 * The media type of `fileName` by its extension; `application/octet-stream` when unknown.
 *
 * @example
 * mediaTypeOf('ESA_WorldCover_10m_2021_v200_N00E006_Map.tif'); // 'image/tiff'
 */
export function mediaTypeOf(fileName: string): string {
  const ext = /\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase();
  return (ext && TYPES_BY_EXTENSION[ext]) || 'application/octet-stream';
}

/**
 * The extension (without the dot) for a media type, as an Accept or Content-Type header gives it
 * (parameters and case ignored); `bin` when unknown.
 *
 * @example
 * extensionOf('image/tiff'); // 'tif'
 * extensionOf('application/tar'); // 'tar'
 */
export function extensionOf(mediaType: string): string {
  const type = mediaType.split(';')[0].trim().toLowerCase();
  return EXTENSION_BY_TYPE.get(ALIASES[type] ?? type) ?? 'bin';
}
