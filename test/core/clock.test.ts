/**
 * The core's steady clock, and the token cache on it when the wall clock steps. A step is played
 * by moving `Date.now` in this process; the emulator in the same process reads `Date.now` too, so
 * its skew is set to the opposite amount and its clock stays where the real one is, as a token
 * endpoint's clock does when the client machine's clock is corrected or goes wrong. The same
 * steps for a whole Node-RED process under libfaketime are in the reliability suite
 * (test/reliability/faults-clock.test.ts).
 */
import { resyncSteadyClock, steadyNow } from '../../nodes/core/clock';
import { TokenCache } from '../../nodes/core/auth/token-cache';
import { emulatorConnection, useEmulator } from '../support/fixtures';
import type { Emulator } from '../emulator/types';

let emu: Emulator;
useEmulator((started) => (emu = started));

const HOUR_MS = 3_600_000;
const realNow = Date.now.bind(Date);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Moves this process's wall clock by `offsetMs` from the real time, leaving the emulator's where it is. */
function stepWallClock(offsetMs: number): void {
  jest.spyOn(Date, 'now').mockImplementation(() => realNow() + offsetMs);
  emu.configure({ clockSkewS: -offsetMs / 1000 });
}

afterEach(() => {
  jest.restoreAllMocks();
  resyncSteadyClock();
});

/** A Sentinel Hub identity whose tokens live `lifetimeS` (renewed after half of it). */
function shortLivedTokens(lifetimeS: number) {
  emu.configure({ accessTokenLifetimeS: { main: lifetimeS } as never });
  return new TokenCache().provider(emulatorConnection(emu, 'sentinel-hub'));
}
const tokenRequests = () => emu.counters().tokenRequests.total;

test('reads the wall clock once, then moves with the monotonic clock: a step does not move it until a resync', () => {
  resyncSteadyClock();
  expect(Math.abs(steadyNow() - realNow())).toBeLessThan(50);
  jest.spyOn(Date, 'now').mockImplementation(() => realNow() + HOUR_MS);
  expect(Math.abs(steadyNow() - realNow())).toBeLessThan(50);
  resyncSteadyClock();
  expect(Math.abs(steadyNow() - (realNow() + HOUR_MS))).toBeLessThan(50);
});

test('a forward step of an hour with a token cached: the token is still used, and the renewal works (no clock error)', async () => {
  const tokens = shortLivedTokens(4);
  const first = await tokens.getToken();
  stepWallClock(HOUR_MS);
  expect((await tokens.getToken()).value).toBe(first.value);
  expect(tokenRequests()).toBe(1);
  await sleep(2_100); // past half the 4 s lifetime: renewed, by the time that really passed
  const second = await tokens.getToken();
  expect(second.value).not.toBe(first.value);
  expect(tokenRequests()).toBe(2);
});

test('a backward step of an hour: the token is renewed when its real time is up, not an hour later', async () => {
  const tokens = shortLivedTokens(4);
  const first = await tokens.getToken();
  stepWallClock(-HOUR_MS);
  await sleep(2_100);
  const second = await tokens.getToken();
  expect(second.value).not.toBe(first.value);
  expect(tokenRequests()).toBe(2);
});

test('a process that started with its clock 2 h ahead, corrected since: one dead-on-arrival token, then it follows the wall clock', async () => {
  jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 2 * HOUR_MS);
  resyncSteadyClock(); // as if the process had started then
  jest.restoreAllMocks(); // the correction: the wall clock is right again, this clock is not
  const tokens = new TokenCache().provider(emulatorConnection(emu, 'sentinel-hub'));
  const token = await tokens.getToken();
  expect(tokenRequests()).toBe(2);
  expect(token.expiresAt - realNow()).toBeGreaterThan(3_500_000);
});
