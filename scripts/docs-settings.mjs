// Writes the settings table of README.md from src/config/settings.ts (compiled to dist/ first:
// `npm run docs:settings`). test/unit/settings-docs.test.ts fails when the README differs.
import { readFileSync, writeFileSync } from 'node:fs';

const { withSettingsTable } = await import(new URL('../dist/src/config/settings-table.js', import.meta.url).href);
const readme = new URL('../README.md', import.meta.url);
const before = readFileSync(readme, 'utf8');
const after = withSettingsTable(before);
if (after !== before) writeFileSync(readme, after);
console.log(after === before ? 'README.md settings table is up to date' : 'README.md settings table written');
