/**
 * Headers a user adds to a request: typed in a node (Node-RED's header list, n8n's "Headers
 * (JSON)") or mapped from a message (msg.headers). They are checked before anything is sent, so a
 * header that HTTP cannot carry is refused naming the header and the fix, rather than surfacing as
 * the HTTP client's bare "invalid header key" that says neither which header nor where.
 *
 * Authorization, Host and the framing headers need no rule here: the request loop sets them itself
 * and drops a caller's (`normaliseHeaders`), so a typed Authorization never reaches a provider.
 */
import { EoError } from '../errors';
import { isHeaderName, isHeaderValue } from './request-headers';

/** Headers ready for a request: lower-case names, text values (a list for a repeated header). */
export type UserHeaders = Record<string, string | string[]>;

/** Text, a number or a boolean, as text; anything else is not a header value. */
function asText(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

function headerError(message: string, field: string): EoError {
  return new EoError('EO_INVALID_CONFIG', message, { field });
}

/** One header's value as text (or a list of them), or the problem with it. */
function valueOf(name: string, value: unknown, field: string): string | string[] {
  const values = Array.isArray(value) ? value.map(asText) : [asText(value)];
  for (const text of values) {
    if (text === undefined) throw headerError(`The value of header ${JSON.stringify(name)} must be text or a number.`, field);
    if (!isHeaderValue(text)) throw headerError(`The value of header ${JSON.stringify(name)} must not contain line breaks.`, field);
  }
  return Array.isArray(value) ? (values as string[]) : (values[0] as string);
}

/**
 * The headers a user added, ready to send: names lower-cased (so a typed "Accept" cannot sit
 * beside the node's own `accept`), numbers and booleans as text, a list as several values.
 *
 * @param field The setting to name in an error; default `headers`.
 * @example
 * userHeaders({ Accept: 'image/tiff', 'X-Trace': 7 }); // { accept: 'image/tiff', 'x-trace': '7' }
 * @throws EoError `EO_INVALID_CONFIG` naming the header and `field`: a name that is not an HTTP
 * token (letters, digits and `-`, no spaces), a value that is not text or a number, or a value with
 * a line break (which would split the request).
 */
export function userHeaders(headers: Record<string, unknown>, field = 'headers'): UserHeaders {
  const out: UserHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!isHeaderName(name)) {
      throw headerError(`${JSON.stringify(name)} is not a header name (letters, digits and - only, no spaces).`, field);
    }
    out[name.toLowerCase()] = valueOf(name, value, field);
  }
  return out;
}
