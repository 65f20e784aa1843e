/**
 * Token minting and checking. Access and refresh tokens are RS256 JWTs signed with a key pair
 * made at start, so clients can decode `exp`/`azp` exactly as they do in production.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, jwtVerify, type JWK, type JWTPayload } from 'jose';
import type { Realm } from './types';
import { REALMS, type EmulatorState } from './state';

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

export interface Keys {
  privateKey: KeyPair['privateKey'];
  publicKey: KeyPair['publicKey'];
  jwk: JWK;
  kid: string;
}

export async function createKeys(): Promise<Keys> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomBytes(8).toString('hex');
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  // One signature and verification up front, so the first burst of token requests finds the crypto path warm.
  const probe = await new SignJWT({ probe: true }).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
  await jwtVerify(probe, publicKey, { algorithms: ['RS256'] });
  return { privateKey, publicKey, jwk, kid };
}

export interface MintOptions {
  realm: Realm;
  originUrl: string;
  clientId: string;
  username?: string;
  lifetimeS: number;
  typ: 'Bearer' | 'Refresh';
  sessionState?: string;
  /** Refresh tokens carry a sequence number for bulk revocation. */
  seq?: number;
}

/** Issues one token; honours omitExp and opaqueTokens (for access tokens). */
export async function mintToken(state: EmulatorState, o: MintOptions): Promise<string> {
  const now = Math.floor(state.now());
  const exp = now + o.lifetimeS;
  const { config } = state;
  if (o.typ === 'Bearer' && config.opaqueTokens) {
    const token = randomBytes(24).toString('base64url');
    state.tokenRecords.set(token, { realm: o.realm, exp, typ: o.typ });
    if (config.recordIssuedTokens) state.issued.access.push(token);
    return token;
  }
  const jti = randomUUID();
  const claims: JWTPayload & Record<string, unknown> = {
    iat: now,
    jti,
    iss: `${o.originUrl}/auth/realms/${o.realm}`,
    sub: o.username ? `user-${o.username}` : `service-account-${o.clientId}`,
    typ: o.typ,
    azp: o.clientId,
  };
  if (o.username) claims.preferred_username = o.username;
  if (o.sessionState) claims.sid = o.sessionState;
  if (o.seq !== undefined) claims.seq = o.seq;
  const omitExp = o.typ === 'Bearer' && config.omitExp;
  if (omitExp) state.tokenRecords.set(jti, { realm: o.realm, exp, typ: o.typ });
  else claims.exp = exp;
  const token = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: state.keys.kid }).sign(state.keys.privateKey);
  if (config.recordIssuedTokens) (o.typ === 'Refresh' ? state.issued.refresh : state.issued.access).push(token);
  return token;
}

export interface VerifiedToken {
  realm: Realm;
  typ: string;
  azp?: string;
  username?: string;
  seq?: number;
  jti?: string;
  exp: number;
}

/** Checks signature, type and expiry against the emulator clock; undefined when not valid. */
export async function verifyToken(state: EmulatorState, token: string, typ: 'Bearer' | 'Refresh'): Promise<VerifiedToken | undefined> {
  const now = state.now();
  const record = state.tokenRecords.get(token);
  if (record) {
    return record.typ === typ && record.exp > now ? { realm: record.realm, typ, exp: record.exp } : undefined;
  }
  if (token.split('.').length !== 3) return undefined;
  let payload: JWTPayload;
  try {
    // Expiry is checked below against the emulator clock (which includes the configured skew).
    ({ payload } = await jwtVerify(token, state.keys.publicKey, { algorithms: ['RS256'], clockTolerance: 1e12 }));
  } catch {
    return undefined;
  }
  if (payload.typ !== typ) return undefined;
  const realm = String(payload.iss ?? '').split('/auth/realms/')[1] as Realm;
  if (!REALMS.includes(realm)) return undefined;
  let exp = payload.exp;
  if (exp === undefined) exp = payload.jti ? state.tokenRecords.get(payload.jti)?.exp : undefined;
  if (exp === undefined || exp <= now) return undefined;
  return {
    realm,
    typ,
    exp,
    azp: payload.azp as string | undefined,
    username: payload.preferred_username as string | undefined,
    seq: payload.seq as number | undefined,
    jti: payload.jti,
  };
}
