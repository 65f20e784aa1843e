/**
 * Which version of a file a server sends, as downloads tell it: the validator a resume sends in
 * If-Range and that the `.part` file's sidecar keeps, and the `Content-Range` of a partial answer.
 */
import { headerValue } from '../http/response-headers';

type Headers = Record<string, string | string[] | undefined>;

/** An HTTP date (RFC 9110 §5.6.7, IMF-fixdate), as Last-Modified carries it. */
const HTTP_DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * Whether a validator kept for If-Range is an ETag rather than a Last-Modified date. ETags should
 * be quoted, but some servers send them bare: anything that is not an HTTP date is one.
 */
export function isEtagValidator(validator: string): boolean {
  return !HTTP_DATE.test(validator.trim());
}

/**
 * The validator that lets ranges of one version be joined: a strong ETag, else Last-Modified. A
 * weak ETag (`W/"…"`) may not be used with If-Range (RFC 9110 §13.1.5): then there is none.
 */
export function rangeValidator(etag: string | undefined, lastModified: string | undefined): string | undefined {
  if (etag !== undefined) return etag.startsWith('W/') ? undefined : etag;
  return lastModified;
}

/** The validator as the sidecar keeps it: under `etag` or `lastModified`. */
export function versionOf(validator: string): { etag?: string; lastModified?: string } {
  return isEtagValidator(validator) ? { etag: validator } : { lastModified: validator };
}

/**
 * Whether an answer comes from the version `validator` names. A header the answer leaves out is
 * taken as a match only when `lenient` (a plain resume, whose size is checked as well).
 */
export function answersVersion(validator: string, headers: Headers, lenient = false): boolean {
  const sent = isEtagValidator(validator) ? headerValue(headers, 'etag') : headerValue(headers, 'last-modified');
  return sent === undefined ? lenient : sent === validator;
}

/** `Content-Range: bytes <start>-<end>/<total>` (either side may be `*`); undefined when absent or malformed. */
export function contentRangeOf(headers: Headers): { start?: number; total?: number } | undefined {
  const m = /^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/i.exec(headerValue(headers, 'content-range')?.trim() ?? '');
  if (!m) return undefined;
  return { start: m[1] === undefined ? undefined : Number(m[1]), total: m[2] === '*' ? undefined : Number(m[2]) };
}
