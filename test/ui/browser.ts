/**
 * The web console's browser tests' tools: Debian's headless chromium driven by playwright-core
 * (no browser download), axe-core on each page, the phone-width check and the screenshots of
 * docs/console/ (written when STOWAGE_UI_SCREENSHOTS=1).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';
import { findExecutable } from '../helpers/tools.js';

export const CHROMIUM = findExecutable('chromium') ?? '/usr/bin/chromium';

/**
 * Flags for this machine's closed network (/work/.library/env/machines/node.md): no background
 * connections, no GPU, no sandbox (root). Playwright adds --headless and gives every launch a
 * fresh, empty profile directory (its launch() refuses a --user-data-dir argument).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    timeout: 60_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Every axe violation of WCAG 2.0/2.1 A and AA rules on the page as it is now, whatever its impact. */
export async function assertAccessible(page: Page, what: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  const lines = violations.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join('; ')})`);
  assert.deepEqual(lines, [], `axe on ${what}`);
}

/** No horizontal scroll of the page itself (wide tables scroll inside their own box). */
export async function assertNoSideScroll(page: Page, what: string): Promise<void> {
  const widths = (await page.evaluate('[document.documentElement.scrollWidth, document.documentElement.clientWidth]')) as [number, number];
  assert.ok(widths[0] <= widths[1], `${what}: the page is ${widths[0]} px wide in a ${widths[1]} px viewport`);
}

const SHOTS = fileURLToPath(new URL('../../../docs/console/', import.meta.url));

/** Saves docs/console/NAME.png when asked (STOWAGE_UI_SCREENSHOTS=1), for the README. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.STOWAGE_UI_SCREENSHOTS !== '1') return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
}
