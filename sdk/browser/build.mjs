// Builds the collector: dist/sessiondx-collector.js (script tag, window.sessiondx) and
// dist/sessiondx-collector.mjs (ES module: import { init } ...). `node build.mjs --check`
// builds into memory and fails when the committed dist/ differs (CTest runs it).
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const check = process.argv.includes('--check');
const common = { bundle: true, minify: true, target: ['chrome92', 'edge92', 'firefox90', 'safari15'], write: false, legalComments: 'none', logLevel: 'error' };
const outs = [
  { entryPoints: [join(here, 'src/auto.js')], format: 'iife', outfile: join(here, 'dist/sessiondx-collector.js') },
  { entryPoints: [join(here, 'src/collector.js')], format: 'esm', outfile: join(here, 'dist/sessiondx-collector.mjs') },
];
let stale = 0;
for (const o of outs) {
  const r = await build({ ...common, ...o });
  const text = r.outputFiles[0].text;
  const gz = gzipSync(Buffer.from(text), { level: 9 }).length;
  console.log(`${o.outfile.slice(here.length + 1)}: ${text.length} bytes minified, ${gz} bytes gzipped`);
  if (check) {
    let old = '';
    try { old = readFileSync(o.outfile, 'utf8'); } catch { /* missing */ }
    if (old !== text) { console.error(`${o.outfile} is stale: run npm run build in sdk/`); stale++; }
  } else {
    writeFileSync(o.outfile, text);
  }
}
process.exit(stale ? 1 : 0);
