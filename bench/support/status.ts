/** How a failure's text is reduced to the HTTP status it names, for the failure tallies of every peer. */

/** A 4xx or 5xx status code standing on its own in an error message. */
export const STATUS_PATTERN = /\b([45]\d\d)\b/;

/** The status an error message names, or `fallback` when it names none. */
export function statusIn(text: string, fallback = 'error'): string {
  return STATUS_PATTERN.exec(text)?.[1] ?? fallback;
}
