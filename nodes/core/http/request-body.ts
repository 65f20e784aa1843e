/**
 * Request bodies as the request loop needs them: what a caller may send, and whether it can be
 * sent again (for a retry, a 401 replay or a 307).
 */
import { Readable } from 'node:stream';
import type { OutgoingHeaders } from './request-headers';

/** What a caller may send: text, bytes, a JSON-able object, or a stream (sent once, never replayed). */
export type RequestBody = string | Buffer | Uint8Array | Readable | object;

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
