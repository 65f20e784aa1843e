/**
 * The shared token store down under n8n: a real n8n 2.41 (`n8n execute`) whose EO_REDIS_URL points
 * at a Redis that has been killed. Fifty Process items in one execution must all come back with
 * their image, no item may carry an error, the token comes from the process itself (one request),
 * and the outage is said once, not per item.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startEmulator } from '../emulator/server';
import type { Emulator } from '../emulator/types';
import { emulatorCredentials, N8nHome, nodeOutput } from '../support/n8n-process';
import { RedisServer } from '../support/redis-server';
import { fiftyProcessCalls } from '../n8n/workflows';
import { artifactDir, keepEmulatorRecord } from './hygiene';
import { grantsText, logMark, Scenario, tokenRequests } from './support/observe';

jest.setTimeout(240_000);

const ARTIFACTS = artifactDir('faults-redis-n8n');
let emu: Emulator;
let home: N8nHome;

beforeAll(async () => {
  emu = await startEmulator();
  home = await N8nHome.create();
  await home.importCredentials(emulatorCredentials(emu));
  await home.importWorkflows([fiftyProcessCalls()]);
}, 240_000);

afterAll(async () => {
  if (emu) {
    keepEmulatorRecord(emu, ARTIFACTS);
    await emu.close();
  }
  await home?.remove();
});

test('Redis killed before the run: 50 items answered, none with an error, one token request, the outage said once', async () => {
  const redis = await RedisServer.start();
  const url = redis.url;
  await redis.remove(); // killed: nothing listens on its port any more
  const mark = logMark(emu);
  const result = await home.execute('eoFiftyItems', { EO_REDIS_URL: url });
  const output = `${result.stdout}\n${result.stderr}`;
  fs.writeFileSync(path.join(ARTIFACTS, 'execute.stdout.log'), result.stdout);
  fs.writeFileSync(path.join(ARTIFACTS, 'execute.stderr.log'), result.stderr);
  if (result.run) fs.writeFileSync(path.join(ARTIFACTS, 'execution.json'), JSON.stringify(result.run, null, 1));
  const items = nodeOutput(result, 'Render each');
  const withImage = items.filter((i) => i.binary?.data && !i.json.error).length;
  const errors = items.filter((i) => i.json.error).length + (result.run?.data.resultData.error ? 1 : 0);
  const outage = output.match(/Token sharing: Redis at [^\n]*/g) ?? [];
  const tokens = tokenRequests(emu, mark);
  const s = new Scenario(
    'Shared token store (Redis)',
    'n8n',
    'n8n execute with EO_REDIS_URL at a killed Redis, 50 Process items',
    "50 items with their image, 0 errors on items or the run, 1 token request (the process's own), 1 outage line",
  );
  s.observe(
    `exit ${result.code}, ${withImage}/${items.length} items with an image, ${errors} errors, token requests ${grantsText(tokens)}, ${outage.length} outage line(s)`,
  );
  s.check('the run succeeded', result.code === 0);
  s.check('50 items with their image', withImage === 50 && items.length === 50);
  s.check('no error on any item or the run', errors === 0);
  s.check('one token request', tokens.total === 1);
  s.check('the outage said once, naming the cause', outage.length === 1 && /refused the connection/.test(outage[0]));
  s.finish();
});
