/** What an eo-auth config node offers the nodes that use it. */
import type { CachedTokenProvider, Connection, EoError } from '../../core';

export interface EoAuthHandle {
  /** The checked connection; throws the configuration problem (an EoError naming the field). */
  connection(): Connection;
  /** The process-wide token provider of this identity: every node with the same credentials shares it. */
  tokens(): CachedTokenProvider;
  /** The token endpoint its stored secrets belong to (normalised URL). */
  readonly tokenEndpoint: string;
  /** Why the configuration is unusable, when it is. */
  readonly problem?: EoError;
}

/** True for an eo-auth node (a deleted or mistyped config id gives something else, or nothing). */
export function isEoAuthHandle(value: unknown): value is EoAuthHandle {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === 'eo-auth' &&
    typeof (value as EoAuthHandle).connection === 'function'
  );
}
