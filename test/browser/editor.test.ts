/**
 * The Node-RED 5 editor in a real Chromium (Debian's, driven by playwright-core), with the
 * package installed from its tarball: for each provider, the EO Auth dialog opened from an EO
 * Request node shows exactly the fields that provider uses, "Test connection" explains success
 * (who, until when) and failure (the field to fix, an unavailable endpoint), and after Deploy the
 * credentials sit encrypted in flows_cred.json, never in flows.json. Screenshots go to
 * test-artifacts/browser/ (with EO_UPDATE_DOCS_IMAGES=1 the README's ones are refreshed too).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { PROVIDERS, type CredentialFieldName, type ProviderId } from '../../nodes/core/config/providers';
import { launchChromium, publishDocsImage, screenshot } from '../support/browser';
import { tempDir } from '../support/paths';
import { startStack, type Stack } from '../support/node-red-stack';
import { debugNode, eoRequestNode, injectNode, type FlowNode } from '../support/flows';

const ALL_FIELDS: CredentialFieldName[] = [
  'tokenUrl',
  'baseUrl',
  'grant',
  'clientAuth',
  'extraOrigins',
  'maxConnections',
  'clientId',
  'clientSecret',
  'username',
  'password',
];
const TAB = 'tab-editor';

/** The parts of the editor's global `RED` (and the DOM) the page functions below touch; they run in Chromium. */
interface EditorGlobal {
  RED: {
    editor: { edit(node: unknown): void };
    nodes: {
      node(id: string): { status?: { fill?: string; text?: string } } | undefined;
      getType(type: string): unknown;
      dirty(): boolean;
    };
  };
  document: {
    querySelector(selector: string): { value: string; disabled?: boolean } | null;
    querySelectorAll(selector: string): ArrayLike<{ remove(): void }>;
  };
}

let stack: Stack;
let work: string;
let context: BrowserContext;
let page: Page;

/** One EO Request node per provider (no EO Auth yet), each fed by an inject node. */
function startingFlow(): FlowNode[] {
  const providers: ProviderId[] = ['sentinel-hub', 'cdse', 'terrascope', 'custom'];
  const nodes: FlowNode[] = [{ id: TAB, type: 'tab', label: 'EO editor test', disabled: false, info: '' }];
  providers.forEach((p, i) => {
    const terrascope = p === 'terrascope';
    const y = 60 + 60 * i;
    nodes.push(
      injectNode(
        `inject-${p}`,
        TAB,
        { x: 170, y, name: PROVIDERS[p].label },
        terrascope ? undefined : { collections: ['sentinel-2-l2a'], limit: 5 },
        [`request-${p}`],
      ),
      eoRequestNode(
        `request-${p}`,
        TAB,
        { x: 420, y },
        {
          name: terrascope ? 'WorldCover search' : 'catalog search',
          operation: terrascope ? 'request' : 'catalog',
          method: terrascope ? 'GET' : 'POST',
          url: terrascope ? '/catalogue/products?collection=urn:eop:VITO:ESA_WorldCover_10m_2021_V2&bbox=2.5,50.6,3.5,51.2' : '',
          output: 'json',
          catalogLimit: 5,
        },
        [[`debug-${p}`]],
      ),
      debugNode(`debug-${p}`, TAB, { x: 650, y }),
    );
  });
  return nodes;
}

/** A screenshot without the "Successfully deployed" toasts of earlier steps (they cover the dialog's header). */
const shot = (name: string, target: Page | ReturnType<Page['locator']> = page) => screenshot(page, name, target, '.red-ui-notification');
const publish = publishDocsImage;

/** The topmost editor tray (the dialog currently in front). */
const tray = () => page.locator('.red-ui-tray').last();

/** Which credential rows of the open EO Auth dialog are visible. */
async function visibleFields(): Promise<CredentialFieldName[]> {
  const shown: CredentialFieldName[] = [];
  for (const field of ALL_FIELDS) {
    const row = page.locator(`.eo-auth-row-${field}`);
    expect(await row.count()).toBe(1);
    if (await row.isVisible()) shown.push(field);
  }
  return shown.sort();
}

/** Presses Test connection and returns the result's class and text once the answer is in. */
async function testConnection(): Promise<{ ok: boolean; text: string }> {
  const button = page.locator('#node-config-eo-auth-test');
  await button.click();
  // The button is disabled while the request runs and enabled again once the answer is shown.
  await page.waitForFunction(
    () => (globalThis as unknown as EditorGlobal).document.querySelector('#node-config-eo-auth-test')?.disabled === false,
    undefined,
    { timeout: 60_000 },
  );
  const result = page.locator('#node-config-eo-auth-test-result');
  const ok = await result.evaluate((el) => el.classList.contains('eo-auth-test-ok'));
  const error = await result.evaluate((el) => el.classList.contains('eo-auth-test-error'));
  expect(ok !== error).toBe(true);
  return { ok, text: (await result.textContent()) ?? '' };
}

/** Opens the EO Request node's dialog and, from it, a new EO Auth dialog. */
async function openNewAuthDialog(requestId: string): Promise<void> {
  await page.evaluate((id) => {
    const red = (globalThis as unknown as EditorGlobal).RED;
    red.editor.edit(red.nodes.node(id));
  }, requestId);
  await page.locator('#node-input-btn-auth-add').click();
  await page.locator('#node-config-input-provider').waitFor({ state: 'visible' });
}

/**
 * Presses Deploy. While some EO Request nodes still have no EO Auth node, the editor asks for
 * confirmation ("improperly configured nodes"); that is confirmed, as a user would.
 */
async function deploy(): Promise<void> {
  await page.click('#red-ui-header-button-deploy');
  const asked = () => {
    const g = globalThis as unknown as EditorGlobal;
    return !g.RED.nodes.dirty() || !!g.document.querySelector('#red-ui-deploy-dialog-confirm-deploy-deploy');
  };
  await page.waitForFunction(asked, undefined, { timeout: 30_000 });
  const confirm = page.locator('#red-ui-deploy-dialog-confirm-deploy-deploy');
  if (await confirm.count()) await confirm.click();
  await page.waitForFunction(() => !(globalThis as unknown as EditorGlobal).RED.nodes.dirty(), undefined, { timeout: 30_000 });
}

beforeAll(async () => {
  work = tempDir('eo-browser');
  stack = await startStack({ workDir: work, deployExamples: false });
  await stack.nodeRed.deploy(startingFlow());
  ({ context, page } = await launchChromium(path.join(work, 'chromium-profile')));
  await page.goto(stack.nodeRed.url);
  await page.waitForFunction(
    () => {
      const red = (globalThis as unknown as Partial<EditorGlobal>).RED;
      return !!red?.nodes?.getType('eo-auth') && !!red.nodes.getType('eo-request') && !!red.nodes.node('request-sentinel-hub');
    },
    undefined,
    { timeout: 60_000 },
  );
}, 180_000);

afterAll(async () => {
  await context?.close();
  await stack?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

interface Case {
  provider: ProviderId;
  tokenUrl: string;
  baseUrl: string;
  fill: Partial<Record<'clientId' | 'clientSecret' | 'username' | 'password', string>>;
  wrong: { field: 'clientSecret' | 'password'; value: string; says: RegExp };
  subject: string;
}

function cases(): Case[] {
  const e = stack.target.endpoints;
  const t = stack.target;
  const client = { clientId: t.clientId, clientSecret: t.clientSecret };
  const wrongSecret = { field: 'clientSecret' as const, value: 'not-the-secret-123', says: /client secret/i };
  return [
    {
      provider: 'sentinel-hub',
      tokenUrl: e.sentinelHub.tokenUrl,
      baseUrl: e.sentinelHub.baseUrl,
      fill: client,
      wrong: wrongSecret,
      subject: t.clientId,
    },
    { provider: 'cdse', tokenUrl: e.cdse.tokenUrl, baseUrl: e.cdse.baseUrl, fill: client, wrong: wrongSecret, subject: t.clientId },
    {
      provider: 'terrascope',
      tokenUrl: e.terrascope.tokenUrl,
      baseUrl: e.terrascope.baseUrl,
      fill: { username: t.username, password: t.password },
      wrong: { field: 'password', value: 'not-the-password-123', says: /username or password/i },
      subject: t.username,
    },
    {
      provider: 'custom',
      tokenUrl: e.sentinelHub.realmTokenUrl,
      baseUrl: e.sentinelHub.baseUrl,
      fill: client,
      wrong: wrongSecret,
      subject: t.clientId,
    },
  ];
}

describe.each(['sentinel-hub', 'cdse', 'terrascope', 'custom'] as ProviderId[])('EO Auth for %s', (provider) => {
  test('shows its fields only, tests the connection, deploys with the credentials encrypted', async () => {
    const c = cases().find((x) => x.provider === provider)!;
    const requestId = `request-${provider}`;
    await openNewAuthDialog(requestId);
    await page.selectOption('#node-config-input-provider', provider);

    // The fields the core lists for this provider are shown, every other one hidden.
    const own = PROVIDERS[provider].fields.map((f) => f.name);
    const shown = await visibleFields();
    expect(shown.filter((f) => !own.includes(f))).toEqual([]);
    const always = PROVIDERS[provider].fields.filter((f) => f.required || f.name === 'tokenUrl' || f.name === 'baseUrl').map((f) => f.name);
    expect(always.filter((f) => !shown.includes(f))).toEqual([]);

    await page.fill('#node-config-input-name', `${PROVIDERS[provider].label} (emulator)`);
    await page.fill('#node-config-input-tokenUrl', c.tokenUrl);
    await page.fill('#node-config-input-baseUrl', c.baseUrl);
    for (const [field, value] of Object.entries({ ...c.fill, [c.wrong.field]: c.wrong.value }))
      await page.fill(`#node-config-input-${field}`, value);

    const failed = await testConnection();
    expect(failed.ok).toBe(false);
    expect(failed.text).toMatch(c.wrong.says);
    expect(failed.text).not.toContain(c.wrong.value);
    await shot(`eo-auth-${provider}-wrong-secret`, tray());

    await page.fill(`#node-config-input-${c.wrong.field}`, c.fill[c.wrong.field]!);
    if (provider === 'sentinel-hub') {
      // Right secret, but every attempt of the token endpoint fails with 503: the message says
      // unavailable, not "wrong secret". (Before the first success: a held token would be reused.)
      stack.emulator.fault({ route: 'token$', status: 503, body: 'Service Unavailable' });
      const down = await testConnection();
      stack.emulator.clearFaults();
      expect(down.ok).toBe(false);
      expect(down.text).toMatch(/unavailable/i);
      expect(down.text).not.toMatch(/rejected/i);
      await shot('eo-auth-sentinel-hub-unavailable', tray());
    }

    const passed = await testConnection();
    expect(passed).toEqual({ ok: true, text: expect.stringContaining(c.subject) });
    expect(passed.text).toMatch(/valid until/i);
    expect(passed.text).not.toMatch(/eyJ|demo-secret|demo-password/);
    const dialog = await shot(`eo-auth-${provider}`, tray());
    if (provider === 'terrascope' || provider === 'sentinel-hub') publish(dialog, `eo-auth-${provider}.png`);

    await page.click('#node-config-dialog-ok');
    await page.locator('#node-config-input-provider').waitFor({ state: 'detached' });
    const authId = await page.evaluate(() => (globalThis as unknown as EditorGlobal).document.querySelector('#node-input-auth')?.value);
    expect(authId).not.toBe('_ADD_');
    if (provider === 'sentinel-hub') publish(await shot('eo-request-dialog', tray()), 'eo-request.png');
    await page.click('#node-dialog-ok');
    await deploy();

    // Stored: flows_cred.json (encrypted) has them, flows.json and the Admin API do not.
    const flowsFile = fs.readFileSync(path.join(stack.userDir, 'flows.json'), 'utf8');
    const credFile = fs.readFileSync(path.join(stack.userDir, 'flows_cred.json'), 'utf8');
    const deployed = (JSON.parse(flowsFile) as FlowNode[]).find((n) => n.id === authId);
    expect(deployed).toMatchObject({ type: 'eo-auth', provider, tokenUrl: c.tokenUrl, baseUrl: c.baseUrl });
    expect((JSON.parse(flowsFile) as FlowNode[]).find((n) => n.id === requestId)?.auth).toBe(authId);
    for (const secret of Object.values(c.fill)) {
      expect(flowsFile).not.toContain(secret);
      expect(credFile).not.toContain(secret);
    }
    const { body: creds } = await stack.nodeRed.request('GET', `/credentials/eo-auth/${authId}`);
    const secretField = c.wrong.field;
    expect(creds).toMatchObject({ [`has_${secretField}`]: true });
    expect(JSON.stringify(creds)).not.toContain(c.fill[secretField]!);

    // Reopened after Deploy, the secret field holds a placeholder only; Test connection then
    // uses the stored secret (the editor never gets it back).
    await page.evaluate((id) => {
      const red = (globalThis as unknown as EditorGlobal).RED;
      red.editor.edit(red.nodes.node(id));
    }, requestId);
    await page.locator('#node-input-btn-auth-edit').click();
    await page.locator('#node-config-input-provider').waitFor({ state: 'visible' });
    expect(await page.inputValue(`#node-config-input-${secretField}`)).not.toBe(c.fill[secretField]);
    const again = await testConnection();
    expect(again).toEqual({ ok: true, text: expect.stringContaining(c.subject) });
    await page.click('#node-config-dialog-cancel');
    await page.locator('#node-config-dialog-cancel').waitFor({ state: 'detached' });
    await page.click('#node-dialog-cancel');
    await page.locator('#node-dialog-cancel').waitFor({ state: 'detached' });
    expect(await page.evaluate(() => (globalThis as unknown as EditorGlobal).RED.nodes.dirty())).toBe(false);

    // The deployed node works: its answer reaches the debug sidebar, and its status is green.
    stack.emulator.reset();
    await stack.nodeRed.inject(`inject-${provider}`);
    await page
      .locator('.red-ui-debug-msg')
      .filter({ hasText: `node: debug-${provider}` })
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 });
    await page.waitForFunction(
      (id) => {
        const n = (globalThis as unknown as EditorGlobal).RED.nodes.node(id);
        return n?.status?.fill === 'green' && !!n.status.text;
      },
      requestId,
      { timeout: 30_000 },
    );
    expect(stack.emulator.counters().apiStatus).toEqual({ 200: 1 });
    if (provider === 'custom') {
      await page.evaluate(() => (globalThis as unknown as { RED: { view: { select(s: string): void } } }).RED.view.select(''));
      await page.locator('#red-ui-full-shade').waitFor({ state: 'hidden' });
      const flow = await shot('flow-green-status', page.locator('#red-ui-main-container'));
      publish(flow, 'flow-green-status.png');
    }
  }, 120_000);
});

test('Import → Examples lists the package’s flows and imports one with an EO Auth node waiting for credentials', async () => {
  await page.evaluate(() =>
    (globalThis as unknown as { RED: { actions: { invoke(a: string): void } } }).RED.actions.invoke('core:show-examples-import-dialog'),
  );
  const examples = page.locator('#red-ui-clipboard-dialog-import-tab-examples');
  await examples.getByText('@eo-nodes/n8n-nodes-earth-observation', { exact: true }).click();
  for (const title of [
    'Catalog search with pagination',
    'Sentinel Hub Process to a GeoTIFF file',
    'Terrascope STAC search',
    'WorldCover tiles for a bbox',
  ]) {
    await examples.getByText(title, { exact: true }).waitFor({ state: 'visible' });
  }
  await examples.getByText('WorldCover tiles for a bbox', { exact: true }).click();
  publish(
    await shot('import-examples', page.locator('.ui-dialog').filter({ has: page.locator('#red-ui-clipboard-dialog-ok') })),
    'import-examples.png',
  );
  await page.click('#red-ui-clipboard-dialog-import-opt-new');
  await page.click('#red-ui-clipboard-dialog-ok');
  // The editor imports after the dialog closes: wait for the flow's nodes before reading them.
  await page.waitForFunction(
    () => {
      let found = false;
      (globalThis as unknown as { RED: { nodes: { eachNode(cb: (n: Record<string, unknown>) => void): void } } }).RED.nodes.eachNode(
        (n) => {
          if (n.type === 'eo-request' && n.name === 'WorldCover 2021 tiles') found = true;
        },
      );
      return found;
    },
    undefined,
    { timeout: 30_000 },
  );

  const imported = await page.evaluate(() => {
    const red = (
      globalThis as unknown as {
        RED: {
          nodes: { eachNode(cb: (n: Record<string, unknown>) => void): void; eachConfig(cb: (n: Record<string, unknown>) => void): void };
        };
      }
    ).RED;
    const nodes: Record<string, unknown>[] = [];
    red.nodes.eachNode((n) => nodes.push({ type: n.type, name: n.name, crontab: n.crontab }));
    red.nodes.eachConfig((n) => nodes.push({ type: n.type, name: n.name, provider: n.provider, credentials: n.credentials ?? null }));
    return nodes;
  });
  expect(imported).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ type: 'inject', name: 'monthly: Belgian coast', crontab: '0 3 1 * *' }),
      expect.objectContaining({ type: 'eo-request', name: 'WorldCover 2021 tiles' }),
      { type: 'eo-auth', name: 'Terrascope', provider: 'terrascope', credentials: null },
    ]),
  );
}, 60_000);
