/**
 * `npm run demo` as a newcomer runs it (the compiled demo-cli.js, after the build): it starts
 * the emulator and Node-RED 5, deploys every example with working credentials, runs them once so
 * files are on disk (WorldCover tiles a GIS opens), prints where to look, and stops everything on
 * Ctrl-C (SIGINT).
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadExamples } from '../support/flows';
import { gdalinfo } from '../support/gdal';
import { useDemo } from '../support/demo-process';
import { freePort } from '../support/ports';

const demos = useDemo('eo-demo');

test('the demo serves the deployed examples offline and stops cleanly on Ctrl-C', async () => {
  const port = await freePort();
  const demo = await demos.start('node-red-demo.js', ['--port', String(port), '--emulator-port', '0']);
  const work = demos.work();
  const out = demo.output();

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
  // What a user does first with a tile: open it in a GIS. GDAL reads each as a COG on its 3° × 3°.
  for (const tile of tiles) {
    const [, ns, lat, ew, lon] = /_([NS])(\d\d)([EW])(\d{3})_Map\.tif$/.exec(tile)!;
    const south = (ns === 'S' ? -1 : 1) * Number(lat);
    const west = (ew === 'W' ? -1 : 1) * Number(lon);
    const info = await gdalinfo(path.join(written, 'worldcover', tile));
    expect(info.stac?.['proj:epsg']).toBe(4326);
    expect(info.metadata.IMAGE_STRUCTURE.LAYOUT).toBe('COG');
    expect(info.cornerCoordinates.lowerLeft).toEqual([west, south]);
    expect(info.cornerCoordinates.upperRight).toEqual([west + 3, south + 3]);
    expect(info.bands[0].colorTable?.entries[10]).toEqual([0, 100, 0, 255]);
  }

  demo.child.kill('SIGINT');
  expect(await demo.exited).toBe(0);
  await expect(fetch(`http://127.0.0.1:${port}/flows`)).rejects.toThrow();
  await expect(fetch(`${emulatorUrl}/__emulator/counters`)).rejects.toThrow();
}, 180_000);
