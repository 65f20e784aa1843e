/**
 * Where one identity's shared tokens live in Redis, and the lock on them. Everything is derived
 * from the identity's own credentials, so only a process that holds the same credentials can find
 * the entries or read them:
 *
 * - The key names carry a digest, never the client id, the username or the secret.
 * - Tokens are sealed with AES-256-GCM under a key derived from the secret; the key name is bound
 *   in as associated data, so an entry copied to another slot does not open.
 * - The derivation starts with scrypt (built into node:crypto): a Redis dump is no cheap oracle for
 *   guessing a weak password offline. It runs once per identity and process, at the first renewal.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, scrypt, type KeyObject, createSecretKey } from 'node:crypto';
import type { Connection } from '../../config/connection';

/** Bumped when the layout or the derivation changes: old entries are then simply not found. */
const LAYOUT = 'eo-nodes:v1';
/** scrypt cost: 16 MiB and a few tens of milliseconds, once per identity and process. */
const SCRYPT = { N: 2 ** 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The Redis keys of one identity. The `{...}` hash tag keeps them in one slot, should a cluster ever be supported. */
export interface SlotKeys {
  /** Hash: `exp` (epoch ms, clear), `fp` (fingerprint of the token), `box` (the sealed token). */
  access: string;
  /** Hash: `gen` (rotations so far), `box` (the sealed refresh token). */
  refresh: string;
  /** String: who renews right now (a random owner id), with a TTL. */
  lease: string;
  /** String with a TTL: the 429 cool-down still to wait out. */
  coolDown: string;
  /** String with a short TTL: the sealed outcome of a renewal that failed, for the processes that waited on it. */
  failure: string;
}

/** One identity's place in Redis and its keys. */
export interface IdentitySlot {
  keys: SlotKeys;
  /** Seals `value` (JSON) for the key `slotKey`. */
  seal(slotKey: string, value: unknown): string;
  /** Opens what `seal` produced for the same key; `undefined` when it does not open (another secret, tampered, old layout). */
  open<T>(slotKey: string, sealed: string | null | undefined): T | undefined;
  /** A keyed digest of a token, to compare tokens in Redis without storing them in clear. */
  fingerprint(token: string): string;
}

function scryptAsync(password: Buffer, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, 32, SCRYPT, (err, key) => {
      if (err) reject(err);
      else resolve(key);
    }),
  );
}

function subkey(master: Buffer, purpose: string, bytes: number): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `${LAYOUT}/${purpose}`, bytes));
}

/**
 * Derives the slot of `connection`'s identity. Two processes with the same provider, token URL,
 * grant, client id or username and secret get the same slot; any difference gives another one.
 *
 * @example
 * const slot = await identitySlot(connection);
 * await redis.hget(slot.keys.access, 'box'); // sealed, or null
 */
export async function identitySlot(connection: Connection): Promise<IdentitySlot> {
  const secret = Buffer.from(JSON.stringify([connection.clientSecret ?? '', connection.password ?? '']));
  // The public fields go in as salt: the same password of two users gives two unrelated slots.
  const salt = Buffer.from(
    JSON.stringify([LAYOUT, connection.provider, connection.tokenUrl, connection.grant, connection.clientId, connection.username ?? '']),
  );
  const master = await scryptAsync(secret, salt);
  const id = subkey(master, 'name', 16).toString('base64url');
  const sealKey: KeyObject = createSecretKey(subkey(master, 'seal', 32));
  const fingerprintKey: KeyObject = createSecretKey(subkey(master, 'fingerprint', 32));
  const base = `${LAYOUT}:{${id}}`;
  return {
    keys: {
      access: `${base}:access`,
      refresh: `${base}:refresh`,
      lease: `${base}:lease`,
      coolDown: `${base}:cool-down`,
      failure: `${base}:failure`,
    },
    seal(slotKey, value) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', sealKey, iv);
      cipher.setAAD(Buffer.from(slotKey));
      const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
      return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
    },
    open<T>(slotKey: string, sealed: string | null | undefined): T | undefined {
      if (!sealed) return undefined;
      try {
        const raw = Buffer.from(sealed, 'base64url');
        if (raw.length < IV_BYTES + TAG_BYTES) return undefined;
        const decipher = createDecipheriv('aes-256-gcm', sealKey, raw.subarray(0, IV_BYTES));
        decipher.setAAD(Buffer.from(slotKey));
        decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
        const text = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
        return JSON.parse(text) as T;
      } catch {
        return undefined;
      }
    },
    fingerprint(token) {
      return createHmac('sha256', fingerprintKey).update(token).digest('base64url').slice(0, 22);
    },
  };
}
