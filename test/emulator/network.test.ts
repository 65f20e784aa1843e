/**
 * The emulator's network knobs: round-trip latency, bandwidth per connection and per link, and the
 * per-account cap on concurrent downloads with its counters. Only lower bounds on time are
 * asserted: a sleep or a paced write never ends early, however loaded the machine is.
 */
import { Agent, request } from 'undici';
import { DEMO_USER, startEmulator, worldCoverPath, WORLDCOVER_EDITIONS } from './server';
import { defaultConfig } from './state';
import type { Emulator } from './types';

let emu: Emulator;
let token: string;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.close();
});
beforeEach(async () => {
  emu.reset();
  emu.configure(defaultConfig());
  token = await passwordToken(DEMO_USER.username, DEMO_USER.password);
});

async function passwordToken(username: string, password: string): Promise<string> {
  const res = await request(emu.endpoints.terrascope.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', client_id: 'public', username, password }).toString(),
  });
  return ((await res.body.json()) as { access_token: string }).access_token;
}

/** GETs `path` on a connection of its own; resolves with the status, Retry-After and elapsed ms once the body is read. */
async function get(path: string, bearer = token): Promise<{ status: number; retryAfter?: string; bytes: number; ms: number }> {
  const agent = new Agent({ connections: 1 });
  const started = performance.now();
  try {
    const res = await request(`${emu.url}${path}`, { headers: { authorization: `Bearer ${bearer}` }, dispatcher: agent });
    const body = Buffer.from(await res.body.arrayBuffer());
    return {
      status: res.statusCode,
      retryAfter: res.headers['retry-after'] as string | undefined,
      bytes: body.length,
      ms: performance.now() - started,
    };
  } finally {
    await agent.close();
  }
}

const tile = (name: string) => worldCoverPath(WORLDCOVER_EDITIONS[1], name);

test('latency: every answer waits one round trip, and a new connection one more for its handshake', async () => {
  emu.configure({ latencyMs: 150 });
  const agent = new Agent({ connections: 1 });
  try {
    const timed = async () => {
      const started = performance.now();
      const res = await request(`${emu.url}/download/synthetic/10.bin`, {
        headers: { authorization: `Bearer ${token}` },
        dispatcher: agent,
      });
      await res.body.arrayBuffer();
      return performance.now() - started;
    };
    const first = await timed();
    const second = await timed();
    expect(first).toBeGreaterThanOrEqual(295);
    expect(second).toBeGreaterThanOrEqual(145);
  } finally {
    await agent.close();
  }
});

test('bandwidth per connection: 1 MB at 2 MB/s takes at least half a second, and the bytes are all there', async () => {
  emu.configure({ connectionBytesPerSecond: 2_000_000 });
  const r = await get('/download/synthetic/1000000.bin');
  expect(r).toMatchObject({ status: 200, bytes: 1_000_000 });
  // 0.5 s, less the last 64 KiB piece, which goes at its start.
  expect(r.ms).toBeGreaterThanOrEqual(440);
});

test('the link is shared: two connections at 1 MB each over a 2 MB/s link take about a second together', async () => {
  emu.configure({ linkBytesPerSecond: 2_000_000 });
  const started = performance.now();
  const both = await Promise.all([get('/download/synthetic/1000000.bin'), get('/download/synthetic/1000001.bin')]);
  const ms = performance.now() - started;
  expect(both.map((r) => r.bytes)).toEqual([1_000_000, 1_000_001]);
  expect(ms).toBeGreaterThanOrEqual(940);
  // Each alone would have needed half of that.
  expect(Math.max(...both.map((r) => r.ms))).toBeGreaterThanOrEqual(700);
});

test('the per-account cap answers 429 with Retry-After beyond it, per account, and counts peak and refusals', async () => {
  emu.configure({
    downloadsPerAccount: 2,
    downloadCapRetryAfterS: 3,
    connectionBytesPerSecond: 1_000_000,
    users: [{ ...DEMO_USER }, { username: 'other', password: 'other-password' }],
  });
  const other = await passwordToken('other', 'other-password');
  // Two slow downloads hold the demo account's two places for about half a second.
  const slow = [get('/download/synthetic/500000.bin'), get('/download/synthetic/500001.bin')];
  await new Promise((r) => setTimeout(r, 150));
  const third = await get(tile('N51E003'));
  expect(third.status).toBe(429);
  expect(third.retryAfter).toBe('3');
  // Another account has places of its own.
  const theirs = await get('/download/synthetic/1000.bin', other);
  expect(theirs.status).toBe(200);
  expect((await Promise.all(slow)).map((r) => r.status)).toEqual([200, 200]);
  // Places are given back when a download ends.
  expect((await get('/download/synthetic/1000.bin')).status).toBe(200);
  const { downloads } = emu.counters();
  expect(downloads.peakConcurrent).toEqual({ demo: 2, other: 1 });
  expect(downloads.refused).toEqual({ demo: 1 });
  expect(downloads.admitted).toEqual({ demo: 3, other: 1 });
});

test('a download the client abandons gives its place back', async () => {
  emu.configure({ downloadsPerAccount: 1, connectionBytesPerSecond: 500_000 });
  const agent = new Agent({ connections: 1 });
  const res = await request(`${emu.url}/download/synthetic/2000000.bin`, {
    headers: { authorization: `Bearer ${token}` },
    dispatcher: agent,
  });
  expect(res.statusCode).toBe(200);
  res.body.destroy();
  await agent.destroy();
  let next = await get('/download/synthetic/1000.bin');
  for (let i = 0; i < 20 && next.status === 429; i++) {
    await new Promise((r) => setTimeout(r, 50));
    next = await get('/download/synthetic/1000.bin');
  }
  expect(next.status).toBe(200);
});

test('the knobs are set over HTTP too, as other processes do', async () => {
  const res = await request(`${emu.url}/__emulator/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ downloadsPerAccount: 4, latencyMs: 40, connectionBytesPerSecond: 20_000_000, linkBytesPerSecond: 100_000_000 }),
  });
  expect(res.statusCode).toBe(200);
  expect(await res.body.json()).toMatchObject({ downloadsPerAccount: 4, latencyMs: 40, connectionBytesPerSecond: 20_000_000 });
  const counters = await request(`${emu.url}/__emulator/counters`);
  expect(((await counters.body.json()) as { downloads: unknown }).downloads).toEqual({ admitted: {}, peakConcurrent: {}, refused: {} });
});
