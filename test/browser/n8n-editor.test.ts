/**
 * The real n8n 2.41.1 editor (`n8n start`, from .cache/) in Debian's Chromium, driven by
 * playwright-core, with the package installed from its tarball the way n8n installs community
 * packages. One n8n for the whole file: the owner is set up in the browser, Sentinel Hub and
 * Terrascope credentials are created in the credential modal and tested (a wrong secret, then the
 * right one), EO Request shows only the fields of each operation, and the Process workflow runs
 * with its image in the binary view. Screenshots go to test-artifacts/browser/ (with
 * EO_UPDATE_DOCS_IMAGES=1 the README's ones are refreshed too). Node 24 only (n8n 2.x needs it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { NodeHelpers, type INodeProperties, type INodeTypeDescription } from 'n8n-workflow';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { EoRequest } from '../../nodes/EoRequest/EoRequest.node';
import * as sentinelHubActions from '../../nodes/EoRequest/actions/sentinelHub';
import * as terrascopeActions from '../../nodes/EoRequest/actions/terrascope';
import { DEMO_CLIENT, DEMO_USER, startEmulator } from '../emulator/server';
import type { Emulator } from '../emulator/types';
import { example } from '../n8n/workflows';
import {
  EO_REQUEST_TYPE,
  emulatorCredentials,
  N8N_OWNER,
  N8nHome,
  SENTINEL_HUB_CREDENTIAL,
  startN8n,
  TERRASCOPE_CREDENTIAL,
  type N8nServer,
} from '../support/n8n-process';
import { launchChromium, publishDocsImage, screenshot } from '../support/browser';

const DESCRIPTION: INodeTypeDescription = new EoRequest().description;
const RESOURCES = { sentinelHub: sentinelHubActions.operations, terrascope: terrascopeActions.operations };
type Resource = keyof typeof RESOURCES;

/** Every (resource, operation) of EO Request, as the node describes them. */
const OPERATIONS: { resource: Resource; operation: string; label: string }[] = (Object.keys(RESOURCES) as Resource[]).flatMap(
  (resource) => {
    const selector = DESCRIPTION.properties.find((p) => p.name === 'operation' && p.displayOptions?.show?.resource?.includes(resource))!;
    return (selector.options as { name: string; value: string }[]).map((o) => ({ resource, operation: o.value, label: o.name }));
  },
);

const OPS_WORKFLOW = 'eoBrowserOperations';
const PNG_SIZE = 256;

/**
 * The parts of the browser's globals the page functions below touch (they run in Chromium; the
 * project compiles without the DOM's types).
 */
interface PageElement {
  offsetParent: unknown;
  classList: { contains(name: string): boolean };
  innerText: string;
  complete?: boolean;
  naturalWidth?: number;
  naturalHeight?: number;
  querySelector(selector: string): PageElement | null;
  getAttribute(name: string): string | null;
  remove(): void;
}
interface PageGlobal {
  document: { querySelector(selector: string): PageElement | null; querySelectorAll(selector: string): ArrayLike<PageElement> };
  localStorage: { getItem(key: string): string | null };
  fetch: typeof fetch;
}

let emu: Emulator;
let home: N8nHome;
let server: N8nServer;
let context: BrowserContext;
let page: Page;

/** One EO Request node per operation (defaults only), and Start → a Process node answering a PNG. */
function operationsWorkflow(): object {
  const credentialsOf = (resource: Resource) =>
    resource === 'sentinelHub' ? { sentinelHubApi: SENTINEL_HUB_CREDENTIAL } : { terrascopeApi: TERRASCOPE_CREDENTIAL };
  const nodes: object[] = OPERATIONS.map(({ resource, operation, label }, i) => ({
    id: `eo-op-${resource}-${operation}`,
    name: `${resource === 'sentinelHub' ? 'SH' : 'TS'} ${label}`,
    type: EO_REQUEST_TYPE,
    typeVersion: 1,
    position: [(i % 4) * 220, 260 + Math.floor(i / 4) * 200],
    parameters: { resource, operation },
    credentials: credentialsOf(resource),
  }));
  nodes.push(
    { id: 'eo-start', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
    {
      id: 'eo-process-png',
      name: 'Process PNG',
      type: EO_REQUEST_TYPE,
      typeVersion: 1,
      position: [220, 0],
      parameters: {
        resource: 'sentinelHub',
        operation: 'process',
        bbox: '13.35,52.50,13.45,52.55',
        timeFrom: '2024-06-01T00:00:00.000Z',
        timeTo: '2024-06-30T00:00:00.000Z',
        width: PNG_SIZE,
        height: PNG_SIZE,
        outputFormat: 'image/png',
      },
      credentials: credentialsOf('sentinelHub'),
    },
  );
  return {
    id: OPS_WORKFLOW,
    name: 'EO Request, every operation',
    active: false,
    settings: { executionOrder: 'v1' },
    nodes,
    connections: { Start: { main: [[{ node: 'Process PNG', type: 'main', index: 0 }]] } },
  };
}

/**
 * The parameters EO Request shows for an operation at its defaults, by n8n's own display rules,
 * without Resource and Operation (the node's action selectors).
 */
function expectedFields(resource: Resource, operation: string): INodeProperties[] {
  const node = { typeVersion: 1 };
  const values = NodeHelpers.getNodeParameters(DESCRIPTION.properties, { resource, operation }, true, false, node, DESCRIPTION)!;
  return DESCRIPTION.properties.filter(
    (p) => p.name !== 'resource' && p.name !== 'operation' && NodeHelpers.displayParameter(values, p, node, DESCRIPTION),
  );
}

/** A screenshot without the toasts of earlier steps ("Credential saved", …). */
const shot = (name: string, target: Page | Locator = page) => screenshot(page, name, target, '.el-notification');

/** A fetch from inside the page, with its session (n8n binds the cookie to the browser's id header). */
function pageGet<T>(url: string): Promise<{ status: number; body: T }> {
  return page.evaluate(async (u) => {
    const g = globalThis as unknown as PageGlobal;
    const res = await g.fetch(u, { headers: { 'browser-id': g.localStorage.getItem('n8n-browserId') ?? '' } });
    return { status: res.status, body: (await res.json().catch(() => null)) as T };
  }, url);
}

const credentialDialog = () => page.locator('.el-dialog').filter({ has: page.locator('[data-test-id=credential-edit-dialog]') });

/** Opens "Add new credential", picks the type and presses Continue. */
async function newCredential(typeName: string): Promise<void> {
  await page.goto(`${server.url}/home/credentials/create`);
  await page.locator('[data-test-id=new-credential-type-select] input').fill(typeName);
  await page.locator('[data-test-id=new-credential-type-select-option]').filter({ hasText: typeName }).click();
  await page.click('[data-test-id=new-credential-type-button]');
  await page.locator('[data-test-id=credential-edit-dialog]').waitFor();
}

async function fillCredential(fields: Record<string, string>): Promise<void> {
  for (const [name, value] of Object.entries(fields)) await page.locator(`[data-test-id=parameter-input-${name}] input`).fill(value);
}

/**
 * Waits for the answer of the credential test n8n runs (`POST /rest/credentials/test`, sent on
 * Save and on Retry) and for the banner that shows it: `ok`, or the message under "More details".
 */
async function credentialTest(action: () => Promise<void>): Promise<{ ok: boolean; message: string }> {
  const answered = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/rest/credentials/test'), {
    timeout: 60_000,
  });
  await action();
  const { data } = (await (await answered).json()) as { data: { status: string } };
  const dialog = credentialDialog();
  if (data.status === 'OK') {
    const success = dialog.locator('[data-test-id=credentials-config-container-test-success]');
    await success.waitFor({ state: 'visible' });
    return { ok: true, message: (await success.innerText()).trim() };
  }
  const banner = dialog.locator('.el-tag--danger').filter({ hasText: 'Couldn’t connect with these settings' });
  await banner.waitFor({ state: 'visible' });
  // The message itself is folded away under "More details", which goes once it is open.
  const details = banner.getByText('More details');
  if (await details.isVisible()) {
    await details.click();
    await details.waitFor({ state: 'hidden' });
  }
  return { ok: false, message: (await banner.innerText()).trim() };
}

/** Saves the open credential; n8n then tests it. */
function saveAndTest(): Promise<{ ok: boolean; message: string }> {
  return credentialTest(() => page.click('[data-test-id=credential-save-button]'));
}

/** Presses Retry, the test button of a saved credential. */
function retryTest(): Promise<{ ok: boolean; message: string }> {
  return credentialTest(() => credentialDialog().locator('button[title="Retry credential test"]').filter({ visible: true }).click());
}

async function closeCredential(): Promise<void> {
  await credentialDialog().locator('.el-dialog__headerbtn, [aria-label="Close this dialog"]').first().click();
  await page.locator('[data-test-id=credential-edit-dialog]').waitFor({ state: 'detached' });
}

async function openWorkflow(id: string): Promise<void> {
  await page.goto(`${server.url}/workflow/${id}`);
  await page.locator('[data-test-id=canvas-node]').first().waitFor({ timeout: 60_000 });
}

const canvasNode = (name: string) => page.locator(`[data-test-id=canvas-node][data-node-name="${name}"]`);

async function openNode(name: string): Promise<void> {
  await canvasNode(name).dblclick();
  await page.locator('[data-test-id=node-parameters]').waitFor();
}

async function closeNode(): Promise<void> {
  await page.click('[data-test-id=ndv-close-button]');
  await page.locator('[data-test-id=ndv]').waitFor({ state: 'hidden' });
}

/** The top-level parameters the open node shows, by name (collection entries count as their collection). */
async function shownFields(candidates: INodeProperties[]): Promise<string[]> {
  const items = await page.evaluate(() =>
    Array.from(
      (globalThis as unknown as PageGlobal).document.querySelectorAll('[data-test-id=node-parameters] [data-test-id=parameter-item]'),
    )
      .filter((e) => e.offsetParent !== null && !e.classList.contains('indent'))
      .map((e) => ({
        path: e.querySelector('[data-parameter-path]')?.getAttribute('data-parameter-path') ?? '',
        label: (e.querySelector('label')?.innerText ?? '').split('\n')[0].trim(),
      })),
  );
  return items.map(({ path: p, label }) => {
    if (p.startsWith('parameters.')) return p.split('.')[1];
    // A collection with nothing set yet has no input of its own, only its label and "Add option".
    return candidates.find((c) => c.displayName === label)?.name ?? `label:${label}`;
  });
}

beforeAll(async () => {
  emu = await startEmulator();
  home = await N8nHome.create();
  // The workflows find their credentials by id; the browser adds its own ones beside them.
  await home.importCredentials(emulatorCredentials(emu));
  fs.mkdirSync(path.join(home.files, 'sentinel-hub'), { recursive: true });
  await home.importWorkflows([example('sentinel-hub-process-geotiff.json', home.files, 'sentinel-hub'), operationsWorkflow()]);
  server = await startN8n(home);
  ({ context, page } = await launchChromium(path.join(home.folder, 'chromium-profile')));
}, 300_000);

afterAll(async () => {
  await context?.close();
  await server?.stop();
  await emu?.close();
  await home?.remove();
}, 60_000);

test('a fresh n8n asks for its owner, and the setup form signs the new owner in', async () => {
  await page.goto(server.url);
  await page.waitForURL(/\/setup$/);
  await page.fill('input[name=email]', N8N_OWNER.email);
  await page.fill('input[name=firstName]', N8N_OWNER.firstName);
  await page.fill('input[name=lastName]', N8N_OWNER.lastName);
  await page.fill('input[name=password]', N8N_OWNER.password);
  await page.click('[data-test-id=form-submit-button]');
  await page.waitForURL((url) => !url.pathname.startsWith('/setup'), { timeout: 30_000 });
  const me = await pageGet<{ data: { email: string; role: string } }>('/rest/login');
  expect(me.status).toBe(200);
  expect(me.body.data).toMatchObject({ email: N8N_OWNER.email, role: 'global:owner' });
}, 60_000);

/** One credential type as a person fills it in: the right values, the secret to get wrong, what a wrong one says. */
interface CredentialCase {
  typeName: string;
  type: string;
  picture: string;
  fields: () => Record<string, string>;
  secret: 'clientSecret' | 'password';
  grant: 'client_credentials' | 'password';
  wrongSays: RegExp[];
}

const CREDENTIAL_CASES: CredentialCase[] = [
  {
    typeName: 'Sentinel Hub API',
    type: 'sentinelHubApi',
    picture: 'sentinel-hub',
    fields: () => ({
      clientId: DEMO_CLIENT.clientId,
      clientSecret: DEMO_CLIENT.clientSecret,
      tokenUrl: emu.endpoints.sentinelHub.tokenUrl,
      baseUrl: emu.endpoints.sentinelHub.baseUrl,
    }),
    secret: 'clientSecret',
    grant: 'client_credentials',
    wrongSays: [/Sentinel Hub rejected the client id or secret \(unauthorized_client/, /Check Client secret/],
  },
  {
    typeName: 'Terrascope API',
    type: 'terrascopeApi',
    picture: 'terrascope',
    fields: () => ({
      username: DEMO_USER.username,
      password: DEMO_USER.password,
      tokenUrl: emu.endpoints.terrascope.tokenUrl,
      baseUrl: emu.endpoints.terrascope.baseUrl,
    }),
    secret: 'password',
    grant: 'password',
    wrongSays: [/Terrascope rejected the username or password \(invalid_grant/],
  },
];

test.each(CREDENTIAL_CASES)(
  '$typeName credentials: a wrong secret is named as such, the right one tests OK',
  async (c) => {
    await newCredential(c.typeName);
    const wrong = `not-the-${c.secret}-4711`;
    await fillCredential({ ...c.fields(), [c.secret]: wrong });
    const failed = await saveAndTest();
    expect(failed.ok).toBe(false);
    for (const says of c.wrongSays) expect(failed.message).toMatch(says);
    expect(failed.message).not.toContain(wrong);
    const wrongShot = await shot(`n8n-credential-${c.picture}-wrong-secret`, credentialDialog());
    if (c.type === 'sentinelHubApi') publishDocsImage(wrongShot, 'n8n-credential-wrong-secret.png');

    await fillCredential({ [c.secret]: c.fields()[c.secret] });
    const passed = await saveAndTest();
    expect(passed).toEqual({ ok: true, message: expect.stringContaining('Connection tested successfully') });
    const okShot = await shot(`n8n-credential-${c.picture}`, credentialDialog());
    if (c.type === 'sentinelHubApi') publishDocsImage(okShot, 'n8n-credential-sentinel-hub.png');

    // Retry is the test button of a saved credential: it really asks the token endpoint again.
    emu.reset();
    expect((await retryTest()).ok).toBe(true);
    expect(emu.counters().tokenRequests).toMatchObject({ [c.grant]: 1, total: 1 });
    await closeCredential();

    // Stored beside the imported one; the secret never comes back to the browser.
    const { body } = await pageGet<{ data: { name: string; type: string }[] }>('/rest/credentials');
    expect(body.data.filter((x) => x.type === c.type)).toHaveLength(2);
    expect(JSON.stringify(body)).not.toContain(c.fields()[c.secret]);
  },
  120_000,
);

test('EO Request shows, for each operation, only that operation’s fields', async () => {
  await openWorkflow(OPS_WORKFLOW);
  const own = (resource: Resource, operation: string) => new Set(RESOURCES[resource][operation].description.map((p) => p.name));
  for (const { resource, operation, label } of OPERATIONS) {
    const expected = expectedFields(resource, operation);
    // Only its own: every field the node would show belongs to this operation's definition.
    expect({ operation, foreign: expected.map((p) => p.name).filter((n) => !own(resource, operation).has(n)) }).toEqual({
      operation,
      foreign: [],
    });
    const name = `${resource === 'sentinelHub' ? 'SH' : 'TS'} ${label}`;
    await openNode(name);
    const shown = await shownFields(expected);
    expect({ operation, shown: shown.filter((f) => f !== 'operation').sort() }).toEqual({
      operation,
      shown: expected.map((p) => p.name).sort(),
    });
    // The action and the credential of its resource are the ones selected.
    expect(await page.locator('[data-test-id=parameter-input-operation] input').inputValue()).toBe(label);
    expect(await page.locator('[data-test-id=node-credentials-select] input').inputValue()).toBe(
      resource === 'sentinelHub' ? SENTINEL_HUB_CREDENTIAL.name : TERRASCOPE_CREDENTIAL.name,
    );
    if (resource === 'sentinelHub' && operation === 'process')
      publishDocsImage(await shot('n8n-eo-request-process'), 'n8n-eo-request-process.png');
    if (resource === 'terrascope' && operation === 'worldCover') await shot('n8n-eo-request-worldcover');
    await closeNode();
  }
}, 180_000);

test('the Process workflow runs in the editor, and its image shows in the binary view', async () => {
  // The shipped example: Process → GeoTIFF → written to disk.
  await openWorkflow('eoProcessGeoTiff');
  emu.reset();
  await page.click('[data-test-id=execute-workflow-button]');
  for (const name of ['Start', 'True colour GeoTIFF', 'Write GeoTIFF to disk'])
    await canvasNode(name).locator('[data-test-id=canvas-node-status-success]').waitFor({ timeout: 60_000 });
  await page.locator('[data-test-id=execute-workflow-button]').filter({ hasText: 'Execute workflow' }).waitFor();
  expect(fs.readdirSync(path.join(home.files, 'sentinel-hub'))).toEqual(['berlin-true-colour.tif']);
  expect(emu.counters().apiStatus).toEqual({ 200: 1 });
  publishDocsImage(await shot('n8n-process-workflow-run'), 'n8n-process-workflow-run.png');
  await openNode('True colour GeoTIFF');
  const card = page.locator('[data-test-id=ndv-binary-data_0]');
  await card.waitFor();
  expect(await card.innerText()).toMatch(/berlin-true-colour\.tif[\s\S]*image\/tiff/);
  await closeNode();

  // A PNG shows as the picture itself.
  await openWorkflow(OPS_WORKFLOW);
  await page.click('[data-test-id=execute-workflow-button]');
  await canvasNode('Process PNG').locator('[data-test-id=canvas-node-status-success]').waitFor({ timeout: 60_000 });
  await openNode('Process PNG');
  await page.click('[data-test-id=ndv-view-binary-data]');
  const image = page.locator('[data-test-id=ndv-data-container] img');
  await image.waitFor();
  await page.waitForFunction(
    () => {
      const img = (globalThis as unknown as PageGlobal).document.querySelector('[data-test-id=ndv-data-container] img');
      return !!img?.complete && (img.naturalWidth ?? 0) > 0;
    },
    undefined,
    { timeout: 30_000 },
  );
  const size = await image.evaluate((img) => [(img as unknown as PageElement).naturalWidth, (img as unknown as PageElement).naturalHeight]);
  expect(size).toEqual([PNG_SIZE, PNG_SIZE]);
  expect(await image.getAttribute('src')).toMatch(/\/rest\/binary-data\?id=filesystem/);
  publishDocsImage(await shot('n8n-binary-image'), 'n8n-binary-image.png');
  await closeNode();
}, 180_000);
