/**
 * The parts of `npm run bench` that turn observations into figures: which OAuth client a request
 * in the emulator's log belongs to, percentiles, and the markdown table (a missed goal or a crashed
 * section must show as such).
 */
import { renderMarkdown, type BenchResults } from '../../bench/report';
import { countsFor } from '../../bench/support/emulator-log';
import { percentile } from '../../bench/support/stats';
import { defaultConfig } from '../emulator/state';
import type { Emulator } from '../emulator/types';
import { useEmulator } from '../support/fixtures';

let emu: Emulator;
useEmulator((started) => (emu = started));

async function token(clientId: string): Promise<string> {
  const res = await fetch(emu.endpoints.sentinelHub.tokenUrl, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: `${clientId}-secret` }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

async function get(bearer: string): Promise<number> {
  const res = await fetch(`${emu.endpoints.sentinelHub.baseUrl}/api/v2/batch/process`, { headers: { authorization: `Bearer ${bearer}` } });
  await res.arrayBuffer();
  return res.status;
}

test('token requests, API calls and 401s are told apart per OAuth client', async () => {
  emu.configure({ clients: [...defaultConfig().clients, { clientId: 'peer-a', clientSecret: 'peer-a-secret' }, { clientId: 'peer-b', clientSecret: 'peer-b-secret' }] });
  const a = await token('peer-a');
  const b = await token('peer-b');
  await token('peer-b');
  expect(await get(a)).toBe(200);
  expect(await get(a)).toBe(200);
  expect(await get(b)).toBe(200);
  emu.configure({ accessTokenLifetimeS: { ...defaultConfig().accessTokenLifetimeS, main: 0 } });
  const expired = await token('peer-b');
  expect(await get(expired)).toBe(401);
  const log = emu.log();
  const apiTimes = (bearers: string[]) => log.filter((e) => bearers.includes(String(e.headers.authorization).slice('Bearer '.length))).map((e) => e.time);
  const span = (times: number[]) => (Math.max(...times) - Math.min(...times)) / 1000;
  expect(countsFor(log, 'peer-a')).toEqual({ tokenRequests: 1, apiRequests: 2, api401: 0, apiSpanS: span(apiTimes([a])) });
  expect(countsFor(log, 'peer-b')).toEqual({ tokenRequests: 3, apiRequests: 2, api401: 1, apiSpanS: span(apiTimes([b, expired])) });
});

test('percentiles by nearest rank', () => {
  const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
  expect(percentile(values, 50)).toBe(5);
  expect(percentile(values, 99)).toBe(10);
  expect(percentile(values, 10)).toBe(1);
  expect(percentile([], 50)).toBeNaN();
});

test('the table marks a missed goal and a crashed section', () => {
  const results: BenchResults = {
    startedAt: '2026-01-01T00:00:00.000Z',
    quick: false,
    totalSeconds: 12,
    machine: { cpus: 2, cpuModel: 'test CPU', node: '24.0.0', nodeRed: '5.0.0', n8n: '2.41.1', platform: 'linux' },
    outcomes: [
      {
        name: 'overhead',
        seconds: 5,
        sections: [
          {
            title: '2. Request overhead',
            setup: 'setup line',
            rows: [
              { metric: 'throughput', ours: 80, peer: 100, peerName: 'raw undici', unit: 'req/s', ratio: 0.8, goal: '≥ 0.9×', met: false },
              { metric: 'p50', ours: 1, peer: 1, unit: 'ms', ratio: 1, goal: '≥ 0.9×', met: true },
            ],
          },
        ],
      },
      { name: 'tokens', seconds: 3, sections: [], error: 'Error: boom' },
    ],
  };
  const md = renderMarkdown(results);
  expect(md).toContain('| throughput | 80 req/s | 100 req/s (raw undici) | 0.8× | ≥ 0.9× | **no** |');
  expect(md).toContain('| p50 | 1 ms | 1 ms | 1× | ≥ 0.9× | yes |');
  expect(md).toContain('\nsetup line\n');
  expect(md).toContain('Run time per section: overhead 5 s, tokens 3 s.');
  expect(md).toContain('## tokens');
  expect(md).toContain('Failed after 3 s: Error: boom');
  expect(md).toContain('2 × test CPU');
});
