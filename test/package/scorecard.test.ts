/**
 * The Node-RED flow library's scorecard (`node-red-dev validate`, the checks the library shows on
 * a package's page) on the packed package: licence, repository, scoped name, keyword, supported
 * Node-RED and Node versions, unique node types, an example for every node, dependency count and
 * tree, dependency versions. Every item must pass.
 *
 * Offline: catalogue.nodered.org answers with an empty module list (catalogue-stub.js), and the
 * registry questions go to a loopback registry that knows only what is installed here: the
 * Node-RED releases this package is tested on (5.x as `latest`, 4.1 as `maintenance`) and the
 * installed versions of its runtime dependencies. So D03 ("dependencies at their latest
 * version") checks here that the declared ranges accept the installed versions; whether a newer
 * major exists on the public registry needs the network.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { packPackage } from '../support/package-tarball';
import { repoRoot, tempDir } from '../support/paths';

const run = promisify(execFile);
const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

function installedManifest(dir: string): {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  engines?: Record<string, string>;
} {
  return JSON.parse(fs.readFileSync(path.join(repoRoot, 'node_modules', dir, 'package.json'), 'utf8'));
}

/** A registry document (packument) holding the installed versions only. */
function packument(name: string): object | undefined {
  if (name === 'node-red') {
    const latest = installedManifest('node-red');
    const maintenance = installedManifest('node-red4');
    const entry = (m: typeof latest) => ({
      name: 'node-red',
      version: m.version,
      dependencies: m.dependencies ?? {},
      engines: m.engines ?? {},
    });
    return {
      name,
      'dist-tags': { latest: latest.version, maintenance: maintenance.version },
      versions: { [latest.version]: entry(latest), [maintenance.version]: entry(maintenance) },
    };
  }
  if (!fs.existsSync(path.join(repoRoot, 'node_modules', name, 'package.json'))) return undefined;
  const m = installedManifest(name);
  return {
    name,
    'dist-tags': { latest: m.version },
    versions: { [m.version]: { name, version: m.version, dependencies: m.dependencies ?? {} } },
  };
}

let registry: http.Server;
let registryUrl: string;
let work: string;
let asked: string[] = [];

beforeAll(async () => {
  registry = http.createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').split('?')[0].slice(1));
    asked.push(name);
    const doc = packument(name);
    res.writeHead(doc ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(doc ?? { error: 'Not found' }));
  });
  await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
  registryUrl = `http://127.0.0.1:${(registry.address() as AddressInfo).port}/`;
  work = tempDir('eo-scorecard');
});

afterAll(async () => {
  await new Promise((resolve) => registry.close(resolve));
  fs.rmSync(work, { recursive: true, force: true });
});

test('node-red-dev validate passes every scorecard item on the packed package', async () => {
  const tarball = await packPackage(work);
  await run('tar', ['-xzf', tarball, '-C', work]);
  const unpacked = path.join(work, 'package');
  const scorecardFile = path.join(work, 'scorecard.json');
  asked = [];
  const { stdout, stderr } = await run(
    process.execPath,
    [
      '--require',
      path.join(__dirname, 'catalogue-stub.js'),
      path.join(repoRoot, 'node_modules', 'node-red-dev', 'bin', 'run'),
      'validate',
      '-p',
      unpacked,
      '-o',
      scorecardFile,
    ],
    {
      cwd: work,
      env: { ...process.env, EO_REGISTRY_STUB: registryUrl, npm_config_registry: registryUrl, npm_registry: registryUrl, NODE_OPTIONS: '' },
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const scorecard = JSON.parse(fs.readFileSync(scorecardFile, 'utf8')) as Record<string, { test: boolean } & Record<string, unknown>>;
  const { package: about, ...items } = scorecard;
  expect(about).toEqual({ name: '@eo-nodes/n8n-nodes-earth-observation', version: expect.any(String) });

  // All items the tool knows about were checked, and none failed.
  expect(Object.keys(items).sort()).toEqual(['D01', 'D02', 'D03', 'N01', 'N02', 'P01', 'P03', 'P04', 'P05', 'P06', 'P07', 'P08']);
  const failed = Object.entries(items).filter(([, item]) => item.test !== true);
  expect({ failed, warnings: `${stdout}\n${stderr}`.split('\n').filter((l) => /warn|›/i.test(l)) }).toEqual({ failed: [], warnings: [] });

  // The examples cover the flow nodes, and the dependency questions were really asked.
  expect(items.N02.nodes).toEqual(['eo-request', 'eo-watch']);
  expect(items.P06.versions).toEqual(
    expect.arrayContaining([installedManifest('node-red').version, installedManifest('node-red4').version]),
  );
  expect(items.D01.total).toBe(Object.keys(pkg.dependencies).length);
  expect(asked).toEqual(expect.arrayContaining(['node-red', ...Object.keys(pkg.dependencies)]));
}, 120_000);
