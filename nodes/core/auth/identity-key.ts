/**
 * Which connections are the same identity, so they share one token: the same provider, token
 * URL, grant, client id or username, and the same secret. The secret enters only as a keyed
 * digest, never in clear.
 */
import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { Connection } from '../config/connection';

/** The fields an identity key is made of, kept beside the key to notice a connection changed since. */
interface KeyedConnection {
  key: string;
  fields: readonly unknown[];
}

function identityFields(connection: Connection): unknown[] {
  return [
    connection.provider,
    connection.tokenUrl,
    connection.grant,
    connection.clientId,
    connection.username,
    connection.clientSecret,
    connection.password,
  ];
}

function sameFields(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/**
 * Identity keys under one random digest key. Keys from two instances never match, so each
 * token cache makes its own (and a leaked key cannot be used to test password guesses offline).
 *
 * @example
 * const keys = new IdentityKeys();
 * keys.keyOf(a) === keys.keyOf(b); // true exactly when a and b carry the same credentials
 */
export class IdentityKeys {
  private readonly digestKey: KeyObject = createSecretKey(randomBytes(32));
  /**
   * Keys of the connections seen, so a message does not pay for an HMAC: nodes hand the same
   * Connection object in for every message. Checked field by field, in case one was edited.
   */
  private readonly keyed = new WeakMap<Connection, KeyedConnection>();

  /** The key of `connection`: the client id or username in clear, the secret as a keyed digest. */
  keyOf(connection: Connection): string {
    const fields = identityFields(connection);
    const known = this.keyed.get(connection);
    if (known && sameFields(known.fields, fields)) return known.key;
    const key = this.compute(connection);
    this.keyed.set(connection, { key, fields });
    return key;
  }

  private compute(connection: Connection): string {
    const digest = createHmac('sha256', this.digestKey)
      .update(JSON.stringify([connection.clientSecret ?? '', connection.password ?? '']))
      .digest('base64url');
    return JSON.stringify([
      connection.provider,
      connection.tokenUrl,
      connection.grant,
      connection.clientId,
      connection.username ?? '',
      digest,
    ]);
  }
}
