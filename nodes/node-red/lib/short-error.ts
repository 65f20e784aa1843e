/** An error in a few words for a red status badge, the same on every node of the package. */
import { isEoError } from '../../core';

/** The error code in words and the HTTP status, never a message that might be long. */
export function shortError(err: unknown): string {
  if (isEoError(err)) {
    const words = err.code.replace(/^EO_/, '').toLowerCase().replace(/_/g, ' ');
    return err.status ? `${words} (${err.status})` : words;
  }
  return err instanceof Error ? err.name : 'error';
}
