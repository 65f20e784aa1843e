/**
 * The headers a request carries: the caller's, lower-cased, without the ones the request loop
 * owns; which of them a redirect drops; and what a header name or value may hold at all.
 */

/** Lower-cased request headers as undici takes them. */
export type OutgoingHeaders = Record<string, string | string[]>;

/** Headers the request loop owns: a caller's Authorization could otherwise follow a redirect anywhere. */
const MANAGED = new Set(['authorization', 'host', 'content-length', 'connection', 'transfer-encoding']);
/** Headers that describe a body, dropped when a redirect turns the request into a GET. */
export const BODY_HEADERS = ['content-type', 'content-encoding', 'content-language', 'content-location'];
/** Credentials of any kind stay with the origin they were meant for. */
export const CROSS_ORIGIN_DROPPED = ['cookie', 'proxy-authorization'];

/** Lower-cased copy of the caller's headers without the ones the loop manages. */
export function normaliseHeaders(input: Record<string, string | string[] | number | undefined> | undefined): OutgoingHeaders {
  const out: OutgoingHeaders = {};
  for (const [key, value] of Object.entries(input ?? {})) {
    const name = key.toLowerCase();
    if (value === undefined || MANAGED.has(name)) continue;
    out[name] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return out;
}

/** An HTTP header name is an RFC 9110 token. */
export function isHeaderName(name: string): boolean {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name);
}

/** A header value may hold anything but line breaks and NUL (which would split the request). */
export function isHeaderValue(value: string): boolean {
  return !/[\r\n\0]/.test(value);
}
