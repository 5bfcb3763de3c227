// Builds the playground into a static folder (default dist/): index.html, one classic script
// (an IIFE, so the page works opened from disk, where browsers refuse module scripts), and
// tfjs-wasm's .wasm files for the wasm engine when served over http(s).
//   node build.mjs [outDir]
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * @param {string} outDir
 * @param {import('esbuild').Plugin[]} [plugins] extra resolvers (the tests build from sources)
 */
export async function buildPlayground(outDir, plugins = []) {
  mkdirSync(path.join(outDir, 'wasm'), { recursive: true });
  await esbuild.build({
    entryPoints: [path.join(here, 'src/main.ts')],
    outfile: path.join(outDir, 'playground.js'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
    absWorkingDir: here,
    plugins,
  });
  copyFileSync(path.join(here, 'src/index.html'), path.join(outDir, 'index.html'));
  const wasmDir = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
  for (const f of readdirSync(wasmDir).filter((n) => n.endsWith('.wasm'))) {
    copyFileSync(path.join(wasmDir, f), path.join(outDir, 'wasm', f));
  }
  return outDir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = path.resolve(process.argv[2] ?? path.join(here, 'dist'));
  await buildPlayground(out);
  console.log(`playground built into ${out} (open index.html, or serve the folder)`);
}
