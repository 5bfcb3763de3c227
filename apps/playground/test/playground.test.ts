import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { initBackend } from '@gflow/backend';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launch } from '../../browser-tests/src/browser.js';
import { workspaceSources } from '../../browser-tests/src/bundle.js';
import { buildPlayground } from '../build.mjs';
import { parseHash } from '../src/config.js';
import { type Measurement, measure } from '../src/measure.js';

// The built playground, opened from disk in headless Chromium (webgl over SwiftShader), used as a
// person uses it: a link with a hash, then a control changed. Its numbers are checked against the
// same measurement in Node (wasm). Screenshots go to $GFLOW_SHOTS (default /tmp/playground-shots).
// .ci/run installs Chromium, and sets GFLOW_CHROMIUM_UNAVAILABLE only where it cannot.
const run =
  haveChromium || (process.env.CI !== undefined && process.env.GFLOW_CHROMIUM_UNAVAILABLE === undefined);
const shots = process.env.GFLOW_SHOTS ?? path.join(tmpdir(), 'playground-shots');
// float32 on two engines (WebGL shaders vs XNNPACK), 50 layers: per-layer rounding differences
// of a few ulps compound to ~1e-5 relative in the ratio; 1e-3 is the bound.
const TOL = 1e-3;

let dir: string;
let browser: Browser | undefined;
let page: Page;
const consoleErrors: string[] = [];

async function state(p: Page, after = 0): Promise<Measurement & { version: number }> {
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

function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
}

describe.skipIf(!run)('the playground, built and opened from disk', () => {
  beforeAll(async () => {
    if (!haveChromium)
      throw new Error('no Chromium at /usr/bin/chromium (set CHROMIUM_PATH, or apt-get install chromium)');
    dir = mkdtempSync(path.join(tmpdir(), 'gflow-playground-'));
    await buildPlayground(dir, [workspaceSources()]);
    mkdirSync(shots, { recursive: true });
    await initBackend({ prefer: 'wasm' });
    browser = await launch('webgl');
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let first: Measurement & { version: number };

  it('#family=plain&depth=50&activation=sigmoid: the first-to-last ratio matches measureGradientFlow in Node', async () => {
    const hash = '#family=plain&depth=50&activation=sigmoid';
    await page.goto(`${pathToFileURL(path.join(dir, 'index.html')).href}${hash}`);
    first = await state(page);
    await page.screenshot({ path: path.join(shots, 'plain-sigmoid-50.png'), fullPage: true });
    const config = parseHash(hash).config;
    expect(first.config).toEqual(config);
    expect(first.engine).toBe('webgl');
    expect(first.taps).toHaveLength(50);
    const node = measure(config, 'wasm');
    expect(node.firstToLast).not.toBeNull();
    // Sigmoid at σ_w² = 1 is deep in the ordered phase: the gradient vanishes.
    expect(node.firstToLast!).toBeLessThan(1e-6);
    expect(rel(first.firstToLast!, node.firstToLast!)).toBeLessThan(TOL);
    first.taps.forEach((t, i) => {
      expect(rel(t.gradNorm!, node.taps[i]!.gradNorm!), t.name).toBeLessThan(TOL);
    });
    // The page says what it measured, and the overlay is the mean-field prediction.
    expect(await page.textContent('#explanation')).toMatch(/vanishes/);
    expect(first.theory!.chi1).toBeLessThan(1);
  });

  it('changing the family to residual updates the state, the hash, and the gradient does not vanish', async () => {
    await page.selectOption('#family', 'residual');
    const next = await state(page, first.version);
    await page.screenshot({ path: path.join(shots, 'residual-sigmoid-50.png'), fullPage: true });
    expect(next.config.family).toBe('residual');
    expect(new URL(page.url()).hash).toMatch(/family=residual/);
    const node = measure(next.config, 'wasm');
    expect(rel(next.firstToLast!, node.firstToLast!)).toBeLessThan(TOL);
    // Identity paths: the first block gets at least as much gradient as the last.
    expect(next.firstToLast!).toBeGreaterThan(1);
    expect(next.theory).toBeNull();
  });

  it('on webgpu (SwiftShader), the same link gives the same ratio (asynchronous reads)', async () => {
    const gpu = await launch('webgpu');
    try {
      const p = await gpu.newPage({ viewport: { width: 1100, height: 900 } });
      p.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text());
      });
      p.on('pageerror', (e) => consoleErrors.push(String(e)));
      const hash = '#family=plain&depth=50&activation=sigmoid';
      await p.goto(`${pathToFileURL(path.join(dir, 'index.html')).href}${hash}`);
      const s = await state(p);
      await p.screenshot({ path: path.join(shots, 'plain-sigmoid-50-webgpu.png'), fullPage: true });
      expect(s.engine).toBe('webgpu');
      const node = measure(parseHash(hash).config, 'wasm');
      expect(rel(s.firstToLast!, node.firstToLast!)).toBeLessThan(TOL);
    } finally {
      await gpu.close();
    }
  });

  it('logs no console error', () => {
    expect(consoleErrors).toEqual([]);
  });
});
