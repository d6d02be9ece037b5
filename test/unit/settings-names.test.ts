/**
 * One config contract: every STOWAGE_* name is written once, in src/config/settings.ts, or in
 * src/config/setting-env.ts for the few settings the ping Lambda reads without the settings
 * table (settings.ts declares those with the names from there), and derived everywhere else, so renaming a variable is one edit and no reader can drift from the writer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALL_SETTINGS, checkSetting, fromText, readEnv, SETTINGS, settingsEnvironment } from '../../src/config/settings.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCHEMAS = ['src/config/settings.ts', 'src/config/setting-env.ts'];

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sourceFiles(path);
    return /\.(ts|js|mjs|cjs)$/.test(e.name) ? [path] : [];
  });
}

/** The code without its comments (block comments, and line comments not inside a URL). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

test('no STOWAGE_* name is written outside the settings module (comments aside)', () => {
  const where = new Map<string, string[]>();
  for (const file of ['src', 'lib', 'bin', 'lambdas'].flatMap(sourceFiles)) {
    for (const name of new Set(code(readFileSync(join(ROOT, file), 'utf8')).match(/STOWAGE_[A-Z0-9_]+/g) ?? [])) {
      where.set(name, [...(where.get(name) ?? []), relative('.', file)]);
    }
  }
  const elsewhere = [...where].filter(([, files]) => files.length !== 1 || !SCHEMAS.includes(files[0]!)).map(([name, files]) => `${name}: ${files.join(', ')}`);
  assert.deepEqual(elsewhere, [], 'write each name once, in src/config/settings.ts (or setting-env.ts), and derive it from SETTINGS elsewhere');
  assert.ok(where.size >= ALL_SETTINGS.length, 'the scan found the settings module itself');
});

test('every setting has its own key, variable and flag, and a default its schema admits', () => {
  const unique = (values: string[]) => assert.equal(new Set(values).size, values.length, values.join(' '));
  unique(ALL_SETTINGS.map((s) => s.key));
  unique(ALL_SETTINGS.map((s) => s.env));
  unique(ALL_SETTINGS.flatMap((s) => (s.flag ? [s.flag] : [])));
  for (const s of ALL_SETTINGS) {
    assert.match(s.env, /^STOWAGE_[A-Z0-9_]+$/);
    assert.match(s.key, /^[a-z][A-Za-z0-9]*(\.[a-z][A-Za-z0-9]*)*$/);
    if (s.default !== undefined) assert.ok(checkSetting(s, s.default).ok, `${s.key}: default ${JSON.stringify(s.default)} is not ${s.allowed}`);
  }
});

test('text from a flag or variable becomes the typed value, and what is not of the kind is refused', () => {
  assert.equal(fromText(SETTINGS.port, '5000'), 5000);
  assert.equal(checkSetting(SETTINGS.port, fromText(SETTINGS.port, 'abc')).ok, false);
  assert.equal(fromText(SETTINGS.s3ForcePathStyle, 'yes'), true);
  assert.equal(fromText(SETTINGS.s3ForcePathStyle, '0'), false);
  assert.equal(checkSetting(SETTINGS.s3ForcePathStyle, fromText(SETTINGS.s3ForcePathStyle, 'maybe')).ok, false);
  assert.deepEqual(fromText(SETTINGS.events, 'log, webhook'), ['log', 'webhook']);
  assert.deepEqual(readEnv(SETTINGS.s3PresignExpires, {}), { value: 900 });
  assert.match(
    readEnv(SETTINGS.s3PresignExpires, { [SETTINGS.s3PresignExpires.env]: '0' }).problem ?? '',
    /STOWAGE_S3_PRESIGN_EXPIRES must be an integer from 1 to 604800, not "0"/,
  );
});

test('the environment the stack writes is read back as the same values', () => {
  const env = settingsEnvironment({ s3Bucket: 'b', s3PresignExpires: 60, s3ForcePathStyle: true, events: ['log'], service: undefined });
  assert.deepEqual(env, { STOWAGE_S3_BUCKET: 'b', STOWAGE_S3_PRESIGN_EXPIRES: '60', STOWAGE_S3_FORCE_PATH_STYLE: '1', STOWAGE_EVENTS: 'log' });
  assert.equal(readEnv(SETTINGS.s3PresignExpires, env).value, 60);
  assert.equal(readEnv(SETTINGS.s3ForcePathStyle, env).value, true);
  assert.deepEqual(readEnv(SETTINGS.events, env).value, ['log']);
});
