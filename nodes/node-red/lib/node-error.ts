/**
 * The error handed to `done(err)`. Node-RED gives Catch nodes the message text and the `code`
 * of an error, not its other properties, so the field to fix is written into the message too.
 */
import { isEoError } from '../../core';

export class EoNodeError extends Error {
  readonly code: string;
  readonly field?: string;
  readonly hint?: string;
  readonly status?: number;
  readonly providerMessage?: string;

  constructor(message: string, details: { code: string; field?: string; hint?: string; status?: number; providerMessage?: string }) {
    super(message);
    this.name = 'EoError';
    this.code = details.code;
    if (details.field !== undefined) this.field = details.field;
    if (details.hint !== undefined) this.hint = details.hint;
    if (details.status !== undefined) this.status = details.status;
    if (details.providerMessage !== undefined) this.providerMessage = details.providerMessage;
  }
}

/**
 * An Error for Node-RED: the core's message (provider message and hint included) with the field,
 * e.g. `The bounding box must be a list of 4 numbers. … (field: bbox)`.
 */
export function toNodeError(err: unknown): Error {
  if (isEoError(err)) {
    return new EoNodeError(err.field ? `${err.message} (field: ${err.field})` : err.message, {
      code: err.code,
      field: err.field,
      hint: err.hint,
      status: err.status,
      providerMessage: err.providerMessage,
    });
  }
  return err instanceof Error ? err : new Error(String(err));
}
