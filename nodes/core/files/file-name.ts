/**
 * The name a provider publishes a file under: the last segment of its URL's path, decoded.
 */

/**
 * The last path segment of `url` (absolute, or a path with an optional query), percent-decoded;
 * `''` when the path ends with "/". A malformed escape is kept as it is: still a usable name.
 *
 * @example
 * fileNameFromUrl('https://example.com/a/My%20tile.tif?x=1'); // 'My tile.tif'
 * fileNameFromUrl('/download/dir/'); // ''
 */
export function fileNameFromUrl(url: string | URL): string {
  const path = typeof url === 'string' ? url.split(/[?#]/)[0] : url.pathname;
  const last = path.split('/').pop() ?? '';
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}
