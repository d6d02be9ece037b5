/** The README's settings table is the one the settings module writes (`npm run docs:settings`). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { withSettingsTable } from '../../src/config/settings-table.js';
import { SERVE_USAGE } from '../../src/cli/usage.js';
import { ALL_SETTINGS } from '../../src/config/settings.js';

test('README.md holds the settings table generated from src/config/settings.ts', async () => {
  const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
  assert.ok(withSettingsTable(readme) === readme, 'README.md settings table is stale: run `npm run docs:settings`');
});

test('the serve usage names every flag with its variable', () => {
  for (const s of ALL_SETTINGS.filter((x) => x.flag)) assert.match(SERVE_USAGE, new RegExp(`--${s.flag}\\b[\\s\\S]*?${s.env}`));
});
