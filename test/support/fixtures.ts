/**
 * What the core tests share: the emulator for a test file, connections to its demo accounts,
 * requests that fail fast, sample request bodies, error assertions, and file checksums.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { TokenCache } from '../../nodes/core/auth/token-cache';
import type { BackoffPolicy } from '../../nodes/core/http/backoff';
import { resolveConnection, type Connection, type ConnectionSettings } from '../../nodes/core/config/connection';
import { EoError, isEoError } from '../../nodes/core/errors';
import type { TokenProvider } from '../../nodes/core/auth/token-provider';
import { defaultConfig } from '../emulator/state';
import { startEmulator } from '../emulator/server';
import type { Emulator, RequestLogEntry } from '../emulator/types';
import { demoAccount, emulatedEndpoints, type EmulatedProvider } from './emulated-providers';

/**
 * One emulator for the test file, handed to `use` once it listens. After each test its counters,
 * log, faults and configuration are back to the defaults, so tests cannot leak into each other.
 */
export function useEmulator(use: (emu: Emulator) => void): void {
  let emu: Emulator | undefined;
  beforeAll(async () => {
    emu = await startEmulator();
    use(emu);
  });
  afterAll(() => emu?.close());
  afterEach(() => {
    emu?.reset();
    emu?.configure(defaultConfig());
  });
}

/** A checked connection to the emulator with the demo credentials of `provider`; `over` changes any setting. */
export function emulatorConnection(emu: Emulator, provider: EmulatedProvider, over: Partial<ConnectionSettings> = {}): Connection {
  const { tokenUrl, baseUrl } = emulatedEndpoints(emu, provider);
  return resolveConnection({ provider, tokenUrl, baseUrl, ...demoAccount(provider), ...over });
}

/** Retries in tens of milliseconds, so a test of the retry policy does not wait like production. */
export const FAST_BACKOFF: BackoffPolicy = { baseMs: 20, maxMs: 100, factor: 2 };

/** What every request to the emulator's Sentinel Hub needs: a connection, a token cache of its own, fast retries. */
export function sentinelHubRequest(
  emu: Emulator,
  over: Partial<ConnectionSettings> = {},
): { connection: Connection; tokens: TokenProvider; backoff: BackoffPolicy } {
  const connection = emulatorConnection(emu, 'sentinel-hub', over);
  return { connection, tokens: new TokenCache().provider(connection), backoff: FAST_BACKOFF };
}

/** The emulator's request log without the token requests. */
export function apiRequests(emu: Emulator): RequestLogEntry[] {
  return emu.log().filter((e) => !/token$/.test(e.path));
}

/** A Process API request for a true-colour GeoTIFF of 54×60 pixels (10 m over a UTM box). */
export const GOLDEN_PROCESS = {
  input: {
    bounds: { bbox: [414315, 4958219, 414859, 4958819], properties: { crs: 'http://www.opengis.net/def/crs/EPSG/0/32633' } },
    data: [{ type: 'sentinel-2-l2a', dataFilter: { timeRange: { from: '2022-10-01T00:00:00Z', to: '2022-10-31T23:59:59Z' } } }],
  },
  output: { resx: 10, resy: 10, responses: [{ identifier: 'default', format: { type: 'image/tiff' } }] },
  evalscript:
    '//VERSION=3\nfunction setup(){return{input:["B02","B03","B04"],output:{bands:3}}}\nfunction evaluatePixel(s){return[2.5*s.B04,2.5*s.B03,2.5*s.B02]}',
};

/** A Catalog search over a month of Sentinel-2 scenes, which the emulator answers page by page. */
export const CATALOG_QUERY = {
  collections: ['sentinel-2-l2a'],
  bbox: [13, 45, 14, 46],
  datetime: '2023-06-01T00:00:00Z/2023-06-30T23:59:59Z',
};

/** The EoError `promise` rejects with; fails the test if it resolves or rejects with anything else. */
export async function rejection(promise: Promise<unknown>): Promise<EoError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EoError);
  return err as EoError;
}

/** Like `rejection`, and checks the code. */
export async function expectEoError(promise: Promise<unknown>, code: string): Promise<EoError> {
  const err = await rejection(promise);
  expect(isEoError(err) && err.code).toBe(code);
  return err;
}

/** The EoError `fn` throws, checked for `code`; fails the test if `fn` returns or throws anything else. */
export function thrownEoError(fn: () => unknown, code: string): EoError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(isEoError(thrown) && thrown.code).toBe(code);
  return thrown as EoError;
}

/** The SHA-256 of a file, read as a stream (downloads of hundreds of MiB compare by it). */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (c) => hash.update(c))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}
