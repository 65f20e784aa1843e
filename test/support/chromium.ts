/**
 * Debian's Chromium driven by playwright-core for the editor tests (Playwright's own browser
 * download needs network this project's machines do not have; test/support/install-chromium.sh
 * installs the Debian package), and where the screenshots those tests take are kept.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { repoRoot } from './paths';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'browser');
const DOCS_IMAGES = path.join(repoRoot, 'docs', 'images');

/** A headless Chromium with a fresh profile in `profileDir`, and its first page. */
export async function launchChromium(profileDir: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 800 },
  });
  return { context, page: context.pages()[0] ?? (await context.newPage()) };
}

/**
 * A screenshot of `target` (the whole page by default, or `clip` of it) into
 * test-artifacts/browser/<name>.png, without the editor's toasts ("Successfully deployed"), which
 * would cover a dialog's header.
 */
export async function screenshot(
  page: Page,
  name: string,
  target: Page | Locator = page,
  clip?: { x: number; y: number; width: number; height: number },
): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.evaluate(() => {
    const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ remove(): void }> } }).document;
    Array.from(doc.querySelectorAll('.red-ui-notification')).forEach((n) => n.remove());
  });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await (clip ? page.screenshot({ path: file, clip }) : target.screenshot({ path: file }));
  return file;
}

/** Copies a screenshot into docs/images, for the README, when asked to (EO_UPDATE_DOCS_IMAGES=1). */
export function publishScreenshot(file: string, name: string): void {
  if (process.env.EO_UPDATE_DOCS_IMAGES !== '1') return;
  fs.mkdirSync(DOCS_IMAGES, { recursive: true });
  fs.copyFileSync(file, path.join(DOCS_IMAGES, name));
}
