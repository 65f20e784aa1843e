/**
 * `npm run demo:n8n` as a newcomer runs it (the compiled n8n-demo.js, after the build; n8n from
 * .cache/): the package installed as n8n installs community packages, the emulator, credentials
 * pointing at it, both example workflows in the editor, a sign-in that works with what it prints,
 * and everything stopped on Ctrl-C (SIGINT). Node 24 only (n8n 2.x needs it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { EO_REQUEST_TYPE, N8nRest, PACKAGE_NAME, SENTINEL_HUB_CREDENTIAL, TERRASCOPE_CREDENTIAL } from '../support/n8n-process';
import { useDemo } from '../support/demo-process';
import { freePort } from '../support/ports';
import { repoRoot } from '../support/paths';

const demos = useDemo('eo-n8n-demo');

/** Id and name of a workflow in n8n-workflows/. */
function shipped(file: string): { id: string; name: string } {
  const { id, name } = JSON.parse(fs.readFileSync(path.join(repoRoot, 'n8n-workflows', file), 'utf8')) as { id: string; name: string };
  return { id, name };
}

test('the n8n demo opens the editor on both example workflows, signed in with what it prints, and stops on Ctrl-C', async () => {
  const port = await freePort();
  const demo = await demos.start('n8n-demo.js', ['--port', String(port), '--emulator-port', '0']);
  const work = demos.work();
  const out = demo.output();

  const editor = `http://127.0.0.1:${port}`;
  expect(out).toContain(`n8n 2.41.1 ${editor}`);
  const emulatorUrl = /Provider emulator (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
  expect(emulatorUrl).toBeDefined();
  const signIn = /Open (http:\S+)/.exec(out)?.[1];
  const [, email, password] = /sign in as (\S+) with password (\S+?);/.exec(out) ?? [];
  expect({ signIn, email, password }).toEqual({
    signIn: `${editor}/signin?redirect=${encodeURIComponent('/workflow/eoWorldCoverMonthly')}`,
    email: expect.stringContaining('@'),
    password: expect.any(String),
  });

  // The editor answers (the sign-in page is the editor's own app).
  for (const url of [editor, signIn!]) {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/<title>n8n/);
  }

  // Signed in with the printed credentials; the package is installed as n8n installs community
  // packages, and loaded: the EO Request type is in the editor's list.
  const rest = new N8nRest(editor);
  await rest.login({ email, password });
  const installed = path.join(work, 'n8n', '.n8n', 'nodes', 'node_modules', PACKAGE_NAME, 'package.json');
  expect((JSON.parse(fs.readFileSync(installed, 'utf8')) as { name: string }).name).toBe(PACKAGE_NAME);
  const { body: types } = await rest.request<{ name: string }[]>('GET', '/types/nodes.json');
  expect(types.map((t) => t.name)).toContain(EO_REQUEST_TYPE);

  // Both workflows, each with its EO Request node and credential, are there.
  const { body: workflows } = await rest.request<{ data: { id: string; name: string }[] }>('GET', '/rest/workflows');
  const expected = ['worldcover-monthly-download.json', 'sentinel-hub-process-geotiff.json'].map(shipped);
  expect(workflows.data.map((w) => ({ id: w.id, name: w.name })).sort((a, b) => a.id.localeCompare(b.id))).toEqual(
    expected.sort((a, b) => a.id.localeCompare(b.id)),
  );
  for (const w of expected) {
    expect(out).toContain(`${editor}/workflow/${w.id}`);
    const { body } = await rest.request<{ data: { nodes: { type: string; credentials?: Record<string, { id: string }> }[] } }>(
      'GET',
      `/rest/workflows/${w.id}`,
    );
    const eo = body.data.nodes.filter((n) => n.type === EO_REQUEST_TYPE);
    expect(eo).toHaveLength(1);
    expect(Object.values(eo[0].credentials ?? {}).map((c) => c.id)).toEqual([
      w.id === 'eoProcessGeoTiff' ? SENTINEL_HUB_CREDENTIAL.id : TERRASCOPE_CREDENTIAL.id,
    ]);
  }

  // The credentials point at the emulator the demo started.
  for (const credential of [SENTINEL_HUB_CREDENTIAL, TERRASCOPE_CREDENTIAL]) {
    const { status, body } = await rest.request<{ data: { name: string; data: { tokenUrl: string; baseUrl: string } } }>(
      'GET',
      `/rest/credentials/${credential.id}?includeData=true`,
    );
    expect(status).toBe(200);
    expect(body.data.name).toBe(credential.name);
    expect(body.data.data.tokenUrl.startsWith(`${emulatorUrl}/`)).toBe(true);
    expect(body.data.data.baseUrl).toBe(emulatorUrl);
  }

  demo.child.kill('SIGINT');
  expect(await demo.exited).toBe(0);
  await expect(fetch(editor)).rejects.toThrow();
  await expect(fetch(`${emulatorUrl}/__emulator/counters`)).rejects.toThrow();
}, 300_000);
