// Builds the web console (src/ui/, Preact) into dist/ui/: one minified, content-hashed script and
// stylesheet under dist/ui/assets/ and an index.html naming them. Run by `npm run build` (and so
// by `npm ci`'s prepare), so `npm start` serves it at /ui/ with no step of the user's. No CDN:
// everything the page loads comes from dist/ui/. Prints the bundle's size.
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/ui');
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/ui/main.tsx'],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: join(out, 'assets'),
  entryNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((p) => join(root, p));
const script = outputs.find((p) => p.endsWith('.js'));
const style = outputs.find((p) => p.endsWith('.css'));
if (!script || !style) throw new Error('build-ui: esbuild wrote no script or no stylesheet');

// Absolute /ui/ URLs: the page is also served for deep routes such as /ui/r/team/app.
writeFileSync(
  join(out, 'index.html'),
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Stowage</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/assets/${basename(style)}">
<script type="module" src="/ui/assets/${basename(script)}"></script>
</head>
<body>
<div id="app"></div>
<noscript>The Stowage console needs JavaScript. The registry API is at /v2/.</noscript>
</body>
</html>
`,
);

const size = (p) => `${basename(p)} ${(statSync(p).size / 1024).toFixed(1)} KB (${(gzipSync(readFileSync(p)).length / 1024).toFixed(1)} KB gzip)`;
console.log(`web console: dist/ui/assets/${size(script)}, ${size(style)}`);
