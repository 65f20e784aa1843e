/**
 * Response headers on an output message carry a mark, like those of Node-RED's http request node:
 * when the next node that reads `msg.headers` finds them unchanged, they are an earlier answer's
 * headers (content-length, content-type: image/tiff, connection, ...) and not meant for the next
 * request, so they are not sent. Headers a flow has edited lose the mark and are sent.
 */
/** The header name of the mark. */
export const RESPONSE_MARK = 'x-eo-request-node';

type Headers = Record<string, unknown>;

/**
 * Two 32-bit FNV-1a style hashes of the text (different offsets and primes), 16 hex digits. The mark only tells edited headers from
 * unchanged ones (nothing secret, nothing an attacker gains by a collision), and it is computed for
 * every message: a cryptographic hash would cost more than the rest of the node's own work.
 */
function fnvPair(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0xcbf29ce4;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x0100019d);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

function digest(headers: Headers): string {
  const entries = Object.entries(headers)
    .filter(([name]) => name !== RESPONSE_MARK)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return fnvPair(JSON.stringify(entries));
}

/** `headers` with the mark of an unchanged response added. */
export function markResponseHeaders<H extends Headers>(headers: H): H & Record<typeof RESPONSE_MARK, string> {
  return { ...headers, [RESPONSE_MARK]: digest(headers) };
}

/** True when `headers` are a response's, as an eo-request node sent them on. */
export function isUnchangedResponse(headers: Headers): boolean {
  const mark = headers[RESPONSE_MARK];
  return typeof mark === 'string' && mark === digest(headers);
}
