/**
 * `npm run demo` as a newcomer runs it (the compiled demo-cli.js, after the build): it starts
 * the emulator and Node-RED 5, deploys every example with working credentials, runs them once so
 * files are on disk, prints where to look, and stops everything on Ctrl-C (SIGINT).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadExamples } from '../support/flows';
import { freePort } from '../support/ports';
import { repoRoot, tempDir } from '../support/paths';

let demo: ChildProcess | undefined;
let work: string;

afterAll(() => {
  if (demo && demo.exitCode === null && demo.signalCode === null) demo.kill('SIGKILL');
  fs.rmSync(work, { recursive: true, force: true });
});

test('the demo serves the deployed examples offline and stops cleanly on Ctrl-C', async () => {
  work = tempDir('eo-demo');
  const port = await freePort();
  demo = spawn(process.execPath, [path.join(repoRoot, 'dist/test/demo/node-red-demo.js'), '--port', String(port), '--emulator-port', '0'], {
    cwd: repoRoot,
    env: { ...process.env, EO_DEMO_DIR: work, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  demo.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  demo.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => demo!.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (out.includes('Press Ctrl-C to stop.')) {
        clearInterval(timer);
        resolve();
      } else if (demo!.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`demo exited early:\n${out}`));
      }
    }, 100);
  });

  expect(out).toContain(`Node-RED http://127.0.0.1:${port}`);
  const emulatorUrl = /Provider emulator (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
  expect(emulatorUrl).toBeDefined();
  const res = await fetch(`http://127.0.0.1:${port}/flows`, { headers: { 'Node-RED-API-Version': 'v2' } });
  const { flows } = (await res.json()) as { flows: { type: string; label?: string; tokenUrl?: string }[] };
  expect(
    flows
      .filter((n) => n.type === 'tab')
      .map((n) => n.label)
      .sort(),
  ).toEqual(
    loadExamples()
      .map((e) => e.title)
      .sort(),
  );
  expect(flows.filter((n) => n.type === 'eo-auth').every((n) => n.tokenUrl?.startsWith(`${emulatorUrl}/`))).toBe(true);

  // The first run's files are on disk and listed.
  const written = path.join(work, 'node-red', 'eo-data');
  expect(fs.existsSync(path.join(written, 'sentinel-hub', 'rome-true-colour.tif'))).toBe(true);
  const tiles = fs.readdirSync(path.join(written, 'worldcover')).filter((f) => f.endsWith('.tif'));
  expect(tiles.length).toBeGreaterThan(1);
  for (const tile of tiles) expect(out).toContain(tile);
  // The watch example got a scene published while the demo runs, and made its GeoTIFF.
  expect(out).toMatch(/scene S2\w+\.SAFE \(on time, \d+ % cloud\) published/);
  const watched = fs.readdirSync(path.join(written, 'watch'));
  expect(watched.filter((f) => /^field-\d{4}-\d\d-\d\d-true-colour\.tif$/.test(f))).toHaveLength(1);
  expect(out).toContain(watched[0]);

  demo.kill('SIGINT');
  expect(await exited).toBe(0);
  await expect(fetch(`http://127.0.0.1:${port}/flows`)).rejects.toThrow();
  await expect(fetch(`${emulatorUrl}/__emulator/counters`)).rejects.toThrow();
}, 180_000);
