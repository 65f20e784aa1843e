/**
 * Response headers on an output message carry a mark, like those of Node-RED's http request node:
 * when the next node that reads `msg.headers` finds them unchanged, they are an earlier answer's
 * headers (content-length, content-type: image/tiff, connection, ...) and not meant for the next
 * request, so they are not sent. Headers a flow has edited lose the mark and are sent.
 */
import { createHash } from 'node:crypto';

/** The header name of the mark. */
export const RESPONSE_MARK = 'x-eo-request-node';

type Headers = Record<string, unknown>;

function digest(headers: Headers): string {
  const entries = Object.entries(headers)
    .filter(([name]) => name !== RESPONSE_MARK)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(entries)).digest('base64url').slice(0, 16);
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
