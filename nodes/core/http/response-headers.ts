/** Reading response headers as undici hands them over. */

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
