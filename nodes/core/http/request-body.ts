/**
 * Request bodies and headers as the request loop needs them: can the body be sent again (for a
 * retry, a 401 replay or a 307), and which headers must never be taken from the caller.
 */
import { Readable } from 'node:stream';

/** What a caller may send: text, bytes, a JSON-able object, or a stream (sent once, never replayed). */
export type RequestBody = string | Buffer | Uint8Array | Readable | object;

/** Lower-cased request headers as undici takes them. */
export type OutgoingHeaders = Record<string, string | string[]>;

/** A request body ready to be sent, and whether it can be sent again. */
export interface PreparedBody {
  /** The payload for the next attempt (a stream is handed out once). */
  take(): string | Buffer | Uint8Array | Readable | undefined;
  /** False once a stream body has been handed out: it cannot be sent a second time. */
  replayable(): boolean;
}

function isReadable(value: unknown): value is Readable {
  return (
    value instanceof Readable ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as Readable).pipe === 'function' &&
      typeof (value as Readable).on === 'function')
  );
}

/**
 * Normalises a body. Objects become JSON with a content type, unless the caller set one; the
 * `headers` record is updated in place so the caller's own choice wins.
 */
export function prepareBody(body: RequestBody | undefined, headers: OutgoingHeaders): PreparedBody {
  if (body === undefined || body === null) return { take: () => undefined, replayable: () => true };
  if (isReadable(body)) {
    let used = false;
    return {
      take: () => {
        used = true;
        return body;
      },
      replayable: () => !used,
    };
  }
  let payload: string | Buffer | Uint8Array;
  if (typeof body === 'string' || Buffer.isBuffer(body) || body instanceof Uint8Array) {
    payload = body;
  } else {
    payload = JSON.stringify(body);
    headers['content-type'] ??= 'application/json';
  }
  return { take: () => payload, replayable: () => true };
}

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

/** Response headers as plain strings, without the `undefined` entries undici's type allows. */
export function plainHeaders(input: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  // undici's parsed headers hold no `undefined` in practice: the copy is made only when one is there.
  let clean = true;
  for (const key in input) {
    if (input[key] === undefined) {
      clean = false;
      break;
    }
  }
  if (clean && Object.getPrototypeOf(input) === Object.prototype) return input as Record<string, string | string[]>;
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(input)) if (value !== undefined) out[key] = value;
  return out;
}

/** The first value of a header that may repeat (undici hands a repeated header over as a list). */
export function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** First value of a response header. */
export function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  return firstValue(headers[name]);
}

/**
 * Throws a response body away. A small remainder is read so the socket can be reused; a large
 * one is cut off. Errors are ignored: nobody is waiting for this body.
 */
export async function discardBody(body: Readable & { dump?: (o: { limit: number }) => Promise<unknown> }): Promise<void> {
  body.on('error', () => undefined);
  try {
    if (body.dump) await body.dump({ limit: 128 * 1024 });
    else body.destroy();
  } catch {
    // Already failed or destroyed: nothing left to free.
  }
}

/** What {@link readCapped} read of a body. */
export interface CappedBody {
  /** At most `limit` bytes from the start of the body. */
  bytes: Buffer;
  /** The body was longer than `limit`: the rest was never downloaded. */
  truncated: boolean;
  /** Set when the body broke off: `bytes` holds what arrived before. */
  broken?: { error: unknown };
}

/**
 * Reads the start of a body, up to `limit` bytes, and lets go of the connection: error and token
 * responses are small, and a large body is not worth reading whole. Never rejects; a body that
 * breaks off comes back as far as it came, with the error beside it.
 */
export async function readCapped(body: Readable, limit: number): Promise<CappedBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  let broken: CappedBody['broken'];
  try {
    for await (const chunk of body) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      chunks.push(buf);
      size += buf.length;
      if (size > limit) {
        truncated = true;
        break;
      }
    }
  } catch (error) {
    broken = { error };
  } finally {
    // Leaving the loop early destroys the body; an error it raises later has nobody to tell.
    body.on('error', () => undefined);
    if (!body.destroyed) body.destroy();
  }
  const bytes = Buffer.concat(chunks);
  const capped = truncated ? bytes.subarray(0, limit) : bytes;
  return broken ? { bytes: capped, truncated, broken } : { bytes: capped, truncated };
}

/** An HTTP header name is an RFC 9110 token. */
export function isHeaderName(name: string): boolean {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name);
}

/** A header value may hold anything but line breaks and NUL (which would split the request). */
export function isHeaderValue(value: string): boolean {
  return !/[\r\n\0]/.test(value);
}
