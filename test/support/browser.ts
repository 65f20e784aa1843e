/**
 * Debian's Chromium driven by playwright-core, as the editor tests use it (Playwright's own browser
 * download needs network these machines do not have), and their screenshots: kept under
 * test-artifacts/browser/, copied into docs/images/ for the README when asked to.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { repoRoot } from './paths';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'browser');
const DOCS_IMAGES = path.join(repoRoot, 'docs', 'images');

/** A headless Chromium with a fresh profile in `profileDir`, 1280 × 800, and its first page. */
export async function launchChromium(profileDir: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    // Playwright rejects --user-data-dir here: the profile folder is its first argument.
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
 * Saves a screenshot of `target` (or only `clip` of the page) as test-artifacts/browser/<name>.png,
 * after removing from the page what matches `clutter` (toasts of earlier steps would cover what the
 * picture is about).
 */
export async function screenshot(
  page: Page,
  name: string,
  target: Page | Locator = page,
  clutter?: string,
  clip?: { x: number; y: number; width: number; height: number },
): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  if (clutter) {
    await page.evaluate((selector) => {
      const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ remove(): void }> } }).document;
      Array.from(doc.querySelectorAll(selector)).forEach((n) => n.remove());
    }, clutter);
  }
  const file = path.join(ARTIFACTS, `${name}.png`);
  await (clip ? page.screenshot({ path: file, clip }) : target.screenshot({ path: file }));
  return file;
}

/** Copies a screenshot into docs/images/ as `name` when asked to (EO_UPDATE_DOCS_IMAGES=1). */
export function publishDocsImage(file: string, name: string): void {
  if (process.env.EO_UPDATE_DOCS_IMAGES !== '1') return;
  fs.mkdirSync(DOCS_IMAGES, { recursive: true });
  fs.copyFileSync(file, path.join(DOCS_IMAGES, name));
}
