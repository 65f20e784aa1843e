/** What the core tests share: connections to the emulator's demo accounts, and error assertions. */
import { resolveConnection, type Connection, type ConnectionSettings } from '../../nodes/core/config/connection';
import { EoError, isEoError } from '../../nodes/core/errors';
import { defaultConfig } from '../emulator/state';
import { startEmulator } from '../emulator/server';
import type { Emulator } from '../emulator/types';

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

export type EmulatedProvider = 'sentinel-hub' | 'cdse' | 'terrascope';

/** A checked connection to the emulator with the demo credentials of `provider`; `over` changes any setting. */
export function emulatorConnection(emu: Emulator, provider: EmulatedProvider, over: Partial<ConnectionSettings> = {}): Connection {
  const endpoints = { 'sentinel-hub': emu.endpoints.sentinelHub, cdse: emu.endpoints.cdse, terrascope: emu.endpoints.terrascope }[provider];
  const credentials =
    provider === 'terrascope' ? { username: 'demo', password: 'demo-password' } : { clientId: 'demo-client', clientSecret: 'demo-secret' };
  return resolveConnection({ provider, tokenUrl: endpoints.tokenUrl, baseUrl: endpoints.baseUrl, ...credentials, ...over });
}

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
