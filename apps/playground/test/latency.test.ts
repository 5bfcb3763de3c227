import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { type BrowserEngine, haveChromium, launch, serve } from '../../browser-tests/src/browser.js';
import { workspaceSources } from '../../browser-tests/src/bundle.js';
import { buildPlayground } from '../build.mjs';
import { choices } from '../src/config.js';

// How long the page takes from a control change to the new #gflow-state, per family at the
// default sizes, on webgl (from disk), webgpu (from disk) and wasm (served over http: a page
// opened from disk cannot fetch the .wasm files). The page measures it itself (`ms` in the state:
// from the change event to the state written). Each family: the link loads (cold: the engine
// compiles its kernels for these shapes), then the seed is changed 4 times (warm: same shapes).
// Slow (about a minute per engine): GFLOW_SLOW=1 npx vitest run --project playground test/latency.test.ts
// Writes the table to $GFLOW_LATENCY (default /tmp/playground-latency.json); GFLOW_ENGINES and
// GFLOW_FAMILIES (comma-separated) narrow the run.

async function version(p: Page): Promise<number> {
  const t = await p.textContent('#gflow-state');
  return t ? (JSON.parse(t) as { version: number }).version : 0;
}

async function next(p: Page, after: number): Promise<{ ms: number; numTensors: number; version: number }> {
  await p.waitForFunction(
    (v) => {
      const t = document.getElementById('gflow-state')?.textContent ?? '';
      return t !== '' && (JSON.parse(t) as { version: number }).version > v;
    },
    after,
    { timeout: 120_000 },
  );
  return JSON.parse((await p.textContent('#gflow-state')) ?? '{}');
}

it.skipIf(!haveChromium)(
  '[slow] update latency per family and engine',
  async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gflow-playground-latency-'));
    await buildPlayground(dir, [workspaceSources()]);
    const files: Record<string, { file: string }> = {};
    for (const f of ['index.html', 'playground.js']) files[`/${f}`] = { file: path.join(dir, f) };
    for (const f of readdirSync(path.join(dir, 'wasm')))
      files[`/wasm/${f}`] = { file: path.join(dir, 'wasm', f) };
    const server = await serve(files);
    const rows: Record<string, unknown>[] = [];
    try {
      const engines = (process.env.GFLOW_ENGINES ?? 'webgl,wasm,webgpu').split(',') as BrowserEngine[];
      for (const engine of engines) {
        const browser = await launch(engine);
        try {
          const page = await browser.newPage({ viewport: { width: 1160, height: 900 } });
          const base =
            engine === 'wasm'
              ? `${server.origin}/index.html?engine=wasm`
              : pathToFileURL(path.join(dir, 'index.html')).href;
          const families = process.env.GFLOW_FAMILIES?.split(',') ?? choices.family;
          for (const family of families) {
            await page.goto('about:blank'); // a new document, not a hashchange
            await page.goto(`${base}#family=${family}`);
            const cold = await next(page, 0);
            const warm: number[] = [];
            const tensors: number[] = [cold.numTensors];
            let v = await version(page);
            for (const seed of [2, 3, 4, 1]) {
              await page.fill('#seed', String(seed));
              await page.dispatchEvent('#seed', 'change');
              const s = await next(page, v);
              v = s.version;
              warm.push(s.ms);
              tensors.push(s.numTensors);
            }
            const sorted = [...warm].sort((a, b) => a - b);
            const row = {
              engine,
              family,
              coldMs: Math.round(cold.ms),
              warmMedianMs: Math.round((sorted[1]! + sorted[2]!) / 2),
              warmMaxMs: Math.round(sorted.at(-1)!),
              numTensors: tensors,
            };
            console.log(JSON.stringify(row));
            rows.push(row);
            // Seed 1 again: the same network as the cold load, the same live tensors.
            expect(tensors.at(-1)).toBe(tensors[0]);
          }
        } finally {
          await browser.close();
        }
      }
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
      writeFileSync(
        process.env.GFLOW_LATENCY ?? '/tmp/playground-latency.json',
        JSON.stringify(rows, null, 1),
      );
    }
  },
  900_000,
);
