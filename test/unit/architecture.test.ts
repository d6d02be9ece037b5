/**
 * The layering rules of docs/architecture.md, checked on the source: no import circles under
 * src/ (type-only and dynamic imports included: a circle of types is still two modules that
 * cannot be understood one without the other), and no port importing from the core above it.
 * A scan of import statements, enough for this code base's own style (relative specifiers
 * ending in `.js`, resolved to the `.ts` beside them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Compiled to dist/test/unit/: the sources are three levels up.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SRC = join(ROOT, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : [],
  );
}

/** `from '…'` of import/export statements and `import('…')`, comments stripped. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;

function importsOf(file: string): string[] {
  const code = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  for (const m of code.matchAll(SPECIFIER)) {
    const spec = m[1]!;
    if (!spec.startsWith('.')) continue;
    out.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
  }
  return out;
}

const files = sources(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f).filter((d) => d !== f)]));
const rel = (f: string) => relative(ROOT, f);

test('every relative import under src/ resolves to a source file (so the scan below sees the real graph)', () => {
  const unresolved = [...graph].flatMap(([f, deps]) => deps.filter((d) => !graph.has(d)).map((d) => `${rel(f)} -> ${rel(d)}`));
  assert.deepEqual(unresolved, []);
});

test('no import circles under src/', () => {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const d of graph.get(f) ?? []) {
      if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d].map(rel).join(' -> '));
      else if (!state.has(d) && graph.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  assert.deepEqual(cycles, [], `import circles:\n${cycles.join('\n')}`);
});

test('ports never import from the core (or anything above them)', () => {
  const ports = join(SRC, 'ports');
  const bad = [...graph].filter(([f]) => f.startsWith(ports + '/')).flatMap(([f, deps]) => deps.filter((d) => !d.startsWith(ports + '/')).map((d) => `${rel(f)} -> ${rel(d)}`));
  assert.deepEqual(bad, []);
});

test('the scanner sees value imports and type-only re-exports', () => {
  // Guards the scanner itself: a regex that matched nothing would pass the tests above.
  const registry = join(SRC, 'core/registry.ts');
  assert.ok((graph.get(registry) ?? []).includes(join(SRC, 'core/routes.ts')), 'registry.ts imports routes.ts');
  assert.ok((graph.get(join(SRC, 'ports/identity-provider.ts')) ?? []).includes(join(SRC, 'ports/token-issuer.ts')), 'type-only re-exports are seen');
});
