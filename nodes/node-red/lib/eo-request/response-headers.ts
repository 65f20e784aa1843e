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
 * Two 32-bit FNV-1a style hashes (different offsets and primes), fed piece by piece, 16 hex digits
 * at the end. The mark only tells edited headers from unchanged ones (nothing secret, nothing an
 * attacker gains by a collision), and it is computed for every message: a cryptographic hash, or
 * even building one long string to hash, would cost more than the rest of the node's own work.
 */
class FnvPair {
  private h1 = 0x811c9dc5;
  private h2 = 0xcbf29ce4;

  /** Adds `text` and its length, so that no two sequences of pieces hash as one. */
  add(text: string): void {
    let { h1, h2 } = this;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x0100019d);
    }
    h1 = Math.imul(h1 ^ (text.length & 0xffff), 0x01000193);
    h2 = Math.imul(h2 ^ (text.length >>> 16), 0x0100019d);
    this.h1 = h1;
    this.h2 = h2;
  }

  hex(): string {
    return (this.h1 >>> 0).toString(16).padStart(8, '0') + (this.h2 >>> 0).toString(16).padStart(8, '0');
  }
}

/** A header value as text with a tag of its kind: "1" and 1, or "a,b" and ["a", "b"], differ. */
function addValue(hash: FnvPair, value: unknown): void {
  if (typeof value === 'string') {
    hash.add('s');
    hash.add(value);
  } else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    hash.add(`a${value.length}`);
    for (const v of value as string[]) hash.add(v);
  } else {
    // Whatever a flow put there: any change of it shows.
    hash.add('j');
    hash.add(String(JSON.stringify(value)));
  }
}

/** Independent of the order of the names, as a flow may rebuild the object with the same content. */
function digest(headers: Headers): string {
  const names = Object.keys(headers).filter((name) => name !== RESPONSE_MARK);
  names.sort();
  const hash = new FnvPair();
  for (const name of names) {
    hash.add(name);
    addValue(hash, headers[name]);
  }
  return hash.hex();
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
