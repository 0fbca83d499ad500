// Headless Chromium for tests that look at the Temporal Web UI as a person does: Debian's `chromium` package
// (installed by scripts/browser.sh; no downloaded browser) driven by playwright-core over CDP.
//
// Every failure says where: the page's URL, the heading or text that was looked for, what the page showed
// instead, and the screenshot taken at that moment (under test-artifacts/, git-ignored). A missing browser is
// a failure that says how to install it, never a skip.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import { repoRoot } from '../../devserver/paths.js';

/** Where the UI tests write their screenshots (git-ignored). */
export const ARTIFACTS = join(repoRoot, 'test-artifacts');

/** The Chromium binary: `chromium` (Debian's package) or `chromium-browser` on PATH. */
export function findChromium(): string {
  for (const c of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('sh', ['-c', 'command -v "$1"', 'sh', c], { encoding: 'utf8' }).trim();
    } catch {
      // not this one
    }
  }
  throw new Error(
    `no Chromium found (looked for chromium, chromium-browser on PATH): ` +
      `run scripts/browser.sh to install Debian's chromium package`,
  );
}

export async function launchBrowser(): Promise<Browser> {
  const executablePath = findChromium();
  try {
    // --no-sandbox: Chromium refuses to run as root (CI containers) with its sandbox on; the pages it opens
    // are our own dev server's, on loopback.
    return await chromium.launch({
      executablePath,
      headless: true,
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
  } catch (err) {
    throw new Error(
      `Chromium at ${executablePath} did not start headless (${(err as Error).message.split('\n')[0]}); ` +
        `run scripts/browser.sh`,
    );
  }
}

/** Save a full-page screenshot as test-artifacts/NAME.png and return its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The Web UI of the suite's dev server (test/run.ts starts it with one). */
export function uiUrl(): string {
  const u = process.env.FERRY_TEST_TEMPORAL_UI;
  if (!u)
    throw new Error(
      'FERRY_TEST_TEMPORAL_UI is not set: run the suite with node dist/test/run.js (it starts the Web UI)',
    );
  return u;
}

/**
 * Open `url`; a page that cannot be reached within `timeoutMs` is an error naming it. A refused connection is
 * tried again until then: the dev server answers gRPC before its UI listens.
 */
export async function openPage(page: Page, url: string, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await page.goto(url, { waitUntil: 'load', timeout: Math.max(1000, deadline - Date.now()) });
      if (res && !res.ok()) throw new Error(`HTTP ${res.status()}`);
      return;
    } catch (err) {
      const msg = (err as Error).message.split('\n')[0]!;
      if (/ERR_CONNECTION_REFUSED/.test(msg) && Date.now() < deadline) {
        await page.waitForTimeout(250);
        continue;
      }
      throw new Error(`Web UI: ${what} (${url}) could not be reached: ${msg}`);
    }
  }
}

/**
 * The text of the rendered markdown under the heading `heading` (the UI renders summary, details and current
 * details in an iframe each, after an <h3>), once `accept` holds for it. The frame is looked up again at each
 * look (the UI replaces the iframe when a query answers), and the page is reloaded when a load has shown
 * something else for a while: the UI fetches a running workflow's current details once per load. Rejects
 * after `timeoutMs` with the URL, the heading, the last text seen and a screenshot.
 */
export async function sectionText(
  page: Page,
  heading: string,
  accept: (text: string) => boolean,
  opts: { expect: string; shot: string; timeoutMs?: number },
): Promise<string> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let last = '(heading not found)';
  let loadedAt = Date.now();
  for (;;) {
    const frame = await sectionFrame(page, heading, 2000);
    if (frame) {
      last = await frame
        .locator('body')
        .innerText({ timeout: 2000 })
        .catch(() => '(frame not rendered)');
      if (accept(last)) return last;
    } else last = '(heading not found)';
    if (Date.now() > deadline) {
      const shot = await screenshot(page, opts.shot);
      throw new Error(
        `Web UI ${page.url()}: under the heading "${heading}", expected ${opts.expect}; ` +
          `last seen: ${JSON.stringify(last.slice(0, 400))}; screenshot ${shot}`,
      );
    }
    if (Date.now() - loadedAt > 15_000) {
      await page.reload({ waitUntil: 'load' });
      loadedAt = Date.now();
    } else await page.waitForTimeout(250);
  }
}

/** The iframe that follows the heading `heading`, or undefined when the heading does not show in time. */
async function sectionFrame(page: Page, heading: string, timeoutMs: number): Promise<Frame | undefined> {
  const h = page
    .locator('h1, h2, h3, h4')
    .filter({ hasText: new RegExp(`^\\s*${heading}\\s*$`) })
    .first();
  try {
    await h.waitFor({ state: 'visible', timeout: timeoutMs });
    const iframe = h.locator('xpath=following::iframe[1]');
    await iframe.waitFor({ state: 'attached', timeout: 5000 });
    return (await (await iframe.elementHandle())?.contentFrame()) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Click the tab whose data-testid is `testId` (e.g. user-metadata-tab) and wait for its route. */
export async function openTab(page: Page, testId: string, route: RegExp, shot: string): Promise<void> {
  try {
    await page.locator(`[data-testid="${testId}"]`).click({ timeout: 30_000 });
    await page.waitForURL(route, { timeout: 15_000 });
  } catch (err) {
    const path = await screenshot(page, shot);
    throw new Error(
      `Web UI ${page.url()}: tab [data-testid="${testId}"] not found or did not open ${route} ` +
        `(${(err as Error).message.split('\n')[0]}); screenshot ${path}`,
    );
  }
}
