import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { initBackend } from '@gflow/backend';
import { hessianEigenvalues } from '@gflow/landscape';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launch, serve } from '../../browser-tests/src/browser.js';
import { workspaceSources } from '../../browser-tests/src/bundle.js';
import { buildPlayground } from '../build.mjs';
import { parseHash } from '../src/config.js';
import {
  buildProblem,
  type LossLine,
  lossLineOf,
  lossOf,
  type Measurement,
  measure,
  measureProblem,
  type TopEigenvalue,
  type TrainResult,
  topEigenvalue,
  train,
} from '../src/measure.js';

// The built playground, opened from disk in headless Chromium (webgl over SwiftShader), used as a
// person uses it: a link with a hash, a control changed, buttons clicked. Its numbers are checked
// against the same measurement in Node (wasm), never against the page's own output. Screenshots
// go to $GFLOW_SHOTS (default /tmp/playground-shots). .ci/run installs Chromium, and sets
// GFLOW_CHROMIUM_UNAVAILABLE only where it cannot.
const run =
  haveChromium || (process.env.CI !== undefined && process.env.GFLOW_CHROMIUM_UNAVAILABLE === undefined);
const shots = process.env.GFLOW_SHOTS ?? path.join(tmpdir(), 'playground-shots');
// float32 on two engines (WebGL shaders vs XNNPACK), 50 layers: per-layer rounding differences
// of a few ulps compound to ~1e-5 relative in the ratio; 1e-3 is the bound.
const TOL = 1e-3;
// The top Hessian eigenvalue: Lanczos stops at a relative residual ≤ 1e-3, which bounds the
// eigenvalue's error by 1e-3·λ (Weyl) on either engine; float32 products on both: 3e-3.
const EIG_TOL = 3e-3;
// The loss line's ends, along eigenvectors found on two engines: each is within an angle of about
// the residual (1e-3) of the true one, and the ends sit where the loss has doubled.
const LINE_TOL = 2e-2;
// 50 Adam steps on two engines (ε fixed at 1e-7: tfjs's default ε is the engine's, and webgl's
// 1e-4 had the page's losses drift 1.9e-4 relative per step from Node's): measured ~4e-7.
const TRAIN_TOL = TOL;

type State = Measurement & {
  version: number;
  ms: number;
  action: string;
  ignored: string[];
  train: (TrainResult & { steps: number; done: boolean }) | null;
  hessian: TopEigenvalue | null;
  lossLine: LossLine | null;
  live: number;
};

let dir: string;
let browser: Browser | undefined;
let page: Page;
const consoleErrors: string[] = [];

function watch(p: Page): void {
  p.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  p.on('pageerror', (e) => consoleErrors.push(String(e)));
}

/** Waits until #gflow-state has a version above `after` and `ready` holds for it. */
async function state(p: Page, after = 0, ready = 'true'): Promise<State> {
  await p.waitForFunction(
    ([v, cond]) => {
      const t = document.getElementById('gflow-state')?.textContent ?? '';
      if (t === '') return false;
      const s = JSON.parse(t) as { version: number };
      return s.version > (v as number) && new Function('s', `return ${cond as string}`)(s);
    },
    [after, ready] as const,
    { timeout: 120_000 },
  );
  return JSON.parse((await p.textContent('#gflow-state')) ?? '{}');
}

function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
}

/** Every tap of the page's measurement against Node's, within `tol` relative. */
function expectSameFlow(s: Measurement, node: Measurement, tol = TOL): void {
  expect(s.taps.map((t) => t.name)).toEqual(node.taps.map((t) => t.name));
  expect(rel(s.loss, node.loss), 'loss').toBeLessThan(tol);
  expect(rel(s.firstToLast!, node.firstToLast!), 'first-to-last').toBeLessThan(tol);
  s.taps.forEach((t, i) => {
    expect(rel(t.gradNorm!, node.taps[i]!.gradNorm!), t.name).toBeLessThan(tol);
  });
}

/**
 * Loads the page with a hash as a new document (its versions start again at 1): going from one
 * hash to another on the same page would be a hashchange, not a load, and the old state would
 * still be there to read.
 */
async function open(p: Page, hash: string): Promise<State> {
  await p.goto('about:blank');
  await p.goto(`${pathToFileURL(path.join(dir, 'index.html')).href}${hash}`);
  return state(p);
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
    page = await browser.newPage({ viewport: { width: 1160, height: 900 } });
    watch(page);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let first: State;

  it('#family=plain&depth=50&activation=sigmoid: the first-to-last ratio matches measureGradientFlow in Node', async () => {
    const hash = '#family=plain&depth=50&activation=sigmoid';
    first = await open(page, hash);
    await page.screenshot({ path: path.join(shots, 'plain-sigmoid-50.png'), fullPage: true });
    const config = parseHash(hash).config;
    expect(first.config).toEqual(config);
    expect(first.engine).toBe('webgl');
    expect(first.taps).toHaveLength(50);
    const node = measure(config, 'wasm');
    // Sigmoid at σ_w² = 1 is deep in the ordered phase: the gradient vanishes.
    expect(node.firstToLast!).toBeLessThan(1e-6);
    expectSameFlow(first, node);
    // The page says what it measured, and the overlay is the mean-field prediction.
    expect(await page.textContent('#explanation')).toMatch(/vanishes/);
    expect(first.theory?.kind).toBe('mean field');
    expect(first.ms).toBeGreaterThan(0);
    expect(await page.textContent('#timing')).toMatch(/Measured in \d+ ms on webgl/);
  });

  it('changing the family to residual updates the state and the hash; the gradient does not vanish', async () => {
    await page.selectOption('#family', 'residual');
    const next = await state(page, first.version);
    await page.screenshot({ path: path.join(shots, 'residual-sigmoid-50.png'), fullPage: true });
    expect(next.config.family).toBe('residual');
    expect(new URL(page.url()).hash).toMatch(/family=residual/);
    expectSameFlow(next, measure(next.config, 'wasm'));
    // Identity paths: the first block gets at least as much gradient as the last.
    expect(next.firstToLast!).toBeGreaterThan(1);
    expect(next.theory?.kind).toBe('paths');
    expect(await page.isVisible('#paths svg')).toBe(true);
    // Back to plain: the same numbers and the same number of live tensors (nothing leaks).
    await page.selectOption('#family', 'plain');
    const back = await state(page, next.version);
    expect(back.firstToLast).toBe(first.firstToLast);
    expect(back.numTensors).toBe(first.numTensors);
  });

  it('an LSTM link: ‖∂L/∂h_t‖ per time step matches Node, the unused controls are hidden and named', async () => {
    const hash = '#family=lstm&length=24&width=16&depth=9';
    const s = await open(page, hash);
    await page.screenshot({ path: path.join(shots, 'lstm-24.png'), fullPage: true });
    expect(s.axis).toBe('time step');
    expect(s.taps).toHaveLength(24);
    expect(s.ignored).toEqual(['depth (not used by the LSTM)']);
    expect(await page.textContent('#warnings')).toMatch(/depth \(not used by the LSTM\)/);
    expect(await page.isVisible('#depth')).toBe(false);
    expect(await page.isVisible('#rho')).toBe(false);
    expect(await page.isVisible('#length')).toBe(true);
    expectSameFlow(s, measure(parseHash(hash).config, 'wasm'));
  });

  it('a vanilla RNN: changing ρ re-measures, with the ρ^lag overlay, and matches Node', async () => {
    const s = await open(page, '#family=rnn&length=30&width=16&rho=0.9');
    expect(s.theory?.kind).toBe('rho^lag');
    await page.fill('#rho', '1.2');
    await page.dispatchEvent('#rho', 'change');
    // A second change right after: the page ends on both (an overtaken update may be skipped).
    await page.fill('#width', '20');
    await page.dispatchEvent('#width', 'change');
    const next = await state(page, s.version, 's.config.width === 20');
    expect(next.config.width).toBe(20);
    await page.screenshot({ path: path.join(shots, 'rnn-rho-1.2.png'), fullPage: true });
    expect(next.config.rho).toBe(1.2);
    expect(new URL(page.url()).hash).toMatch(/rho=1.2/);
    expectSameFlow(next, measure(next.config, 'wasm'));
  });

  it('a post-norm transformer and a plain conv net match Node', async () => {
    const hashT = '#family=transformer&depth=4&width=16&placement=post';
    const t = await open(page, hashT);
    await page.screenshot({ path: path.join(shots, 'transformer-post-4.png'), fullPage: true });
    expect(t.axis).toBe('sublayer');
    expect(t.taps).toHaveLength(8);
    expectSameFlow(t, measure(parseHash(hashT).config, 'wasm'));
    const hashC = '#family=conv&depth=6&width=8&activation=relu&init=he';
    const c = await open(page, hashC);
    await page.screenshot({ path: path.join(shots, 'conv-6.png'), fullPage: true });
    expect(c.taps).toHaveLength(6);
    expectSameFlow(c, measure(parseHash(hashC).config, 'wasm'));
  });

  it('a bad link gives a clear message, not a crash', async () => {
    const s = await open(page, '#family=mamba&depth=-3&width=abc');
    expect(s.config.family).toBe('plain');
    expect(await page.textContent('#warnings')).toMatch(/family=mamba \(one of .*\); depth=-3 .*; width=abc/);
    // Switching the family from plain at its default sizes brings the conv net's default sizes.
    await page.selectOption('#family', 'conv');
    const c = await state(page, s.version);
    expect(c.config).toMatchObject({ family: 'conv', depth: 8, width: 16 });
    expectSameFlow(c, measure(c.config, 'wasm'));
  });

  const small = '#family=plain&depth=4&width=12&activation=tanh';

  it('Top Hessian eigenvalue and Loss line match hessianEigenvalues and lossLine in Node', async () => {
    const s = await open(page, small);
    await page.click('#hessian');
    const h = await state(page, s.version, "s.action === 'hessian'");
    const config = parseHash(small).config;
    const p = buildProblem(config);
    try {
      // Node's own call of the library function (not the page's helper) on the same weights.
      const node = hessianEigenvalues(lossOf(p), p.model, { k: 1, extremes: false, seed: config.seed });
      expect(h.hessian!.converged).toBe(true);
      expect(rel(h.hessian!.lambda, node.eigenvalues[0]!)).toBeLessThan(EIG_TOL);
      expect(await page.textContent('#hessian-explanation')).toMatch(/converged/);
      await page.click('#line');
      const l = await state(page, h.version, "s.action === 'line'");
      await page.screenshot({ path: path.join(shots, 'hessian-line.png'), fullPage: true });
      const line = l.lossLine!;
      expect(line.eigenvector).toBe(true);
      expect(line.direction).toMatch(/eigenvector/);
      expect(rel(line.centerLoss, s.loss)).toBeLessThan(TOL);
      const nodeLine = await lossLineOf(p, await topEigenvalue(p, 'sync'), 'sync');
      // The eigenvector's sign is arbitrary (the line may run backward); the loss at α = 0 and the
      // ends' pair are the same, and the curve rises on both sides.
      const ends = (x: readonly number[]) => [x[0]!, x.at(-1)!].sort((a, b) => a - b);
      const endDiff = Math.max(...ends(line.losses).map((v, i) => rel(v, ends(nodeLine.losses)[i]!)));
      console.log(`loss line ends: max relative difference from Node ${endDiff.toExponential(2)}`);
      expect(endDiff).toBeLessThan(LINE_TOL);
      expect(Math.min(line.losses[0]!, line.losses.at(-1)!)).toBeGreaterThan(line.centerLoss);
    } finally {
      p.dispose();
    }
  });

  it('Train 50 steps with clipping: the loss falls, 50 losses in the state, as trainStep in Node', async () => {
    const s = await open(page, small);
    await page.check('#clip');
    await page.click('#train');
    const t = await state(page, s.version, 's.train !== null && s.train.done');
    await page.screenshot({ path: path.join(shots, 'trained-50.png'), fullPage: true });
    expect(t.train!.losses).toHaveLength(50);
    expect(t.train!.clip).toBe(true);
    expect(t.train!.losses.at(-1)!).toBeLessThan(t.train!.losses[0]!);
    const p = buildProblem(parseHash(small).config);
    try {
      const node = await train(p, 50, true, undefined, 'sync');
      const diffs = t.train!.losses.map((l, i) => rel(l, node.losses[i]!));
      console.log(
        `training losses: max relative difference from Node ${Math.max(...diffs).toExponential(2)}`,
      );
      expect(Math.max(...diffs)).toBeLessThan(TRAIN_TOL);
      // The flow shown after training is the trained network's.
      expectSameFlow(t, measureProblem(p, 'wasm'), TRAIN_TOL);
      // Nothing left behind: after training (its optimizer and state freed) and an eigenvalue,
      // the page holds as many tensors as before (one network and its data).
      await page.click('#hessian');
      const h = await state(page, t.version, "s.action === 'hessian'");
      expect(h.live).toBe(s.live);
    } finally {
      p.dispose();
    }
  });

  describe("on webgpu (SwiftShader): gflow's asynchronous variants, the same numbers as Node", () => {
    let gpu: Browser | undefined;
    let g: Page;
    // tfjs warns once per page when it reads a GPU tensor synchronously (through a canvas).
    const warnings: string[] = [];
    beforeAll(async () => {
      gpu = await launch('webgpu');
      g = await gpu.newPage({ viewport: { width: 1160, height: 900 } });
      watch(g);
      g.on('console', (m) => {
        if (m.type() === 'warning') warnings.push(m.text());
      });
    }, 60_000);
    afterAll(async () => {
      await gpu?.close();
    });

    it('the issue link gives the same ratio', async () => {
      const hash = '#family=plain&depth=50&activation=sigmoid';
      const s = await open(g, hash);
      await g.screenshot({ path: path.join(shots, 'plain-sigmoid-50-webgpu.png'), fullPage: true });
      expect(s.engine).toBe('webgpu');
      expect(rel(s.firstToLast!, measure(parseHash(hash).config, 'wasm').firstToLast!)).toBeLessThan(TOL);
    });

    it('Top Hessian eigenvalue and Loss line match hessianEigenvalues and lossLine in Node', async () => {
      const s = await open(g, small);
      expect(s.engine).toBe('webgpu');
      expect(await g.isDisabled('#hessian')).toBe(false);
      await g.click('#hessian');
      const h = await state(g, s.version, "s.action === 'hessian'");
      const config = parseHash(small).config;
      const p = buildProblem(config);
      try {
        const node = hessianEigenvalues(lossOf(p), p.model, { k: 1, extremes: false, seed: config.seed });
        expect(h.hessian!.converged).toBe(true);
        const eigDiff = rel(h.hessian!.lambda, node.eigenvalues[0]!);
        console.log(
          `webgpu top eigenvalue ${h.hessian!.lambda} vs Node ${node.eigenvalues[0]} (rel ${eigDiff.toExponential(2)})`,
        );
        expect(eigDiff).toBeLessThan(EIG_TOL);
        await g.click('#line');
        const l = await state(g, h.version, "s.action === 'line'");
        await g.screenshot({ path: path.join(shots, 'hessian-line-webgpu.png'), fullPage: true });
        const line = l.lossLine!;
        expect(line.eigenvector).toBe(true);
        expect(rel(line.centerLoss, s.loss)).toBeLessThan(TOL);
        const nodeLine = await lossLineOf(p, await topEigenvalue(p, 'sync'), 'sync');
        const ends = (x: readonly number[]) => [x[0]!, x.at(-1)!].sort((a, b) => a - b);
        const endDiff = Math.max(...ends(line.losses).map((v, i) => rel(v, ends(nodeLine.losses)[i]!)));
        console.log(`webgpu loss line ends: max relative difference from Node ${endDiff.toExponential(2)}`);
        expect(endDiff).toBeLessThan(LINE_TOL);
      } finally {
        p.dispose();
      }
    });

    it('Train 50 steps with clipping: the same losses and flow as trainStep in Node', async () => {
      const s = await open(g, small);
      await g.check('#clip');
      await g.click('#train');
      const t = await state(g, s.version, 's.train !== null && s.train.done');
      await g.screenshot({ path: path.join(shots, 'trained-50-webgpu.png'), fullPage: true });
      expect(t.engine).toBe('webgpu');
      expect(t.train!.losses).toHaveLength(50);
      expect(t.train!.losses.at(-1)!).toBeLessThan(t.train!.losses[0]!);
      const p = buildProblem(parseHash(small).config);
      try {
        const node = await train(p, 50, true, undefined, 'sync');
        const diffs = t.train!.losses.map((l, i) => rel(l, node.losses[i]!));
        console.log(
          `webgpu training losses: max relative difference from Node ${Math.max(...diffs).toExponential(2)}`,
        );
        expect(Math.max(...diffs)).toBeLessThan(TRAIN_TOL);
        expectSameFlow(t, measureProblem(p, 'wasm'), TRAIN_TOL);
        // Nothing left behind on webgpu either.
        await g.click('#hessian');
        const h = await state(g, t.version, "s.action === 'hessian'");
        expect(h.live).toBe(s.live);
      } finally {
        p.dispose();
      }
    });

    it('no text says a feature is off on webgpu', async () => {
      await open(g, small);
      expect(await g.textContent('body')).not.toMatch(/off (for the orthogonal RNN )?on webgpu/i);
    });

    it('the orthogonal RNN at its default sizes: ‖∂L/∂h_t‖ per time step matches Node, everything on', async () => {
      // Its default sizes (50 steps × 32 units): the size at which the old synchronous read lost the device.
      const hash = '#family=orthornn';
      const s = await open(g, hash);
      await g.screenshot({ path: path.join(shots, 'orthornn-webgpu.png'), fullPage: true });
      console.log(`webgpu orthogonal RNN (defaults): measured in ${s.ms.toFixed(0)} ms (cold)`);
      expect(s.engine).toBe('webgpu');
      expect(s.config).toMatchObject({ length: 50, width: 32 });
      expect(s.taps).toHaveLength(50);
      expectSameFlow(s, measure(parseHash(hash).config, 'wasm'));
      for (const id of ['#train', '#hessian', '#line']) expect(await g.isDisabled(id)).toBe(false);
    });

    // A smaller orthogonal RNN (10 steps × 8 units), trained and probed on webgpu: its matrix
    // exponential's gradient runs there in float32 tensor ops, in Node in float64 on the host (the
    // two agree to about 3e-7 relative per gradient: models' matrix-exp-device test), so the same
    // tolerances as the MLP's hold: TRAIN_TOL for 50 Adam steps, EIG_TOL for the eigenvalue.
    const ortho = '#family=orthornn&length=10&width=8';

    it('the orthogonal RNN: Train 50 steps gives the same losses and flow as trainStep in Node', async () => {
      const s = await open(g, ortho);
      await g.check('#clip');
      await g.click('#train');
      const t = await state(g, s.version, 's.train !== null && s.train.done');
      await g.screenshot({ path: path.join(shots, 'orthornn-trained-webgpu.png'), fullPage: true });
      expect(t.engine).toBe('webgpu');
      expect(t.train!.losses).toHaveLength(50);
      expect(t.train!.losses.every(Number.isFinite)).toBe(true);
      expect(t.train!.losses.at(-1)!).toBeLessThan(t.train!.losses[0]!);
      const p = buildProblem(parseHash(ortho).config);
      try {
        const node = await train(p, 50, true, undefined, 'sync');
        const diffs = t.train!.losses.map((l, i) => rel(l, node.losses[i]!));
        console.log(
          `webgpu orthogonal RNN training losses: max relative difference from Node ${Math.max(...diffs).toExponential(2)}`,
        );
        expect(Math.max(...diffs)).toBeLessThan(TRAIN_TOL);
        expectSameFlow(t, measureProblem(p, 'wasm'), TRAIN_TOL);
      } finally {
        p.dispose();
      }
      // SwiftShader runs these in ~30–35 s alone; under CI's parallel load one took over 60 s.
    }, 240_000);

    it('the orthogonal RNN: Top Hessian eigenvalue and Loss line match Node', async () => {
      const s = await open(g, ortho);
      await g.click('#hessian');
      const h = await state(g, s.version, "s.action === 'hessian'");
      const config = parseHash(ortho).config;
      const p = buildProblem(config);
      try {
        const node = hessianEigenvalues(lossOf(p), p.model, { k: 1, extremes: false, seed: config.seed });
        expect(h.hessian!.converged).toBe(true);
        expect(h.hessian!.mode).toBe(node.mode);
        const eigDiff = rel(h.hessian!.lambda, node.eigenvalues[0]!);
        console.log(
          `webgpu orthogonal RNN top eigenvalue ${h.hessian!.lambda} (${h.hessian!.mode}) vs Node ${node.eigenvalues[0]} (rel ${eigDiff.toExponential(2)})`,
        );
        expect(eigDiff).toBeLessThan(EIG_TOL);
        await g.click('#line');
        const l = await state(g, h.version, "s.action === 'line'");
        await g.screenshot({ path: path.join(shots, 'orthornn-hessian-line-webgpu.png'), fullPage: true });
        const line = l.lossLine!;
        expect(rel(line.centerLoss, s.loss)).toBeLessThan(TOL);
        const nodeLine = await lossLineOf(p, await topEigenvalue(p, 'sync'), 'sync');
        const ends = (x: readonly number[]) => [x[0]!, x.at(-1)!].sort((a, b) => a - b);
        const endDiff = Math.max(...ends(line.losses).map((v, i) => rel(v, ends(nodeLine.losses)[i]!)));
        console.log(
          `webgpu orthogonal RNN loss line ends: max relative difference from Node ${endDiff.toExponential(2)}`,
        );
        expect(endDiff).toBeLessThan(LINE_TOL);
        expect(h.live).toBe(s.live);
      } finally {
        p.dispose();
      }
      // SwiftShader runs these in ~30–35 s alone; under CI's parallel load one took over 60 s.
    }, 240_000);

    it('made no synchronous GPU read in the whole session (tfjs warns at the first)', () => {
      expect(warnings.filter((w) => /synchronously reading data from GPU/.test(w))).toEqual([]);
    });
  });

  it('on wasm (served over http: ?engine=wasm, and by itself where webgl is SwiftShader), the issue link gives the same ratio', async () => {
    const files: Record<string, { file: string }> = {};
    for (const f of ['index.html', 'playground.js']) files[`/${f}`] = { file: path.join(dir, f) };
    for (const f of readdirSync(path.join(dir, 'wasm')))
      files[`/wasm/${f}`] = { file: path.join(dir, 'wasm', f) };
    const server = await serve(files);
    const cpu = await launch('wasm');
    try {
      const p = await cpu.newPage({ viewport: { width: 1160, height: 900 } });
      watch(p);
      const hash = '#family=plain&depth=50&activation=sigmoid';
      await p.goto(`${server.origin}/index.html?engine=wasm${hash}`);
      const s = await state(p);
      expect(s.engine).toBe('wasm');
      expectSameFlow(s, measure(parseHash(hash).config, 'wasm'));
      // Served, with no engine asked for, in a browser whose webgl is SwiftShader: wasm, and why.
      await page.goto('about:blank');
      await page.goto(`${server.origin}/index.html${hash}`);
      const auto = await state(page);
      expect(auto.engine).toBe('wasm');
      expect(await page.textContent('#engine')).toMatch(/not webgl: its device is a software renderer/);
    } finally {
      await cpu.close();
      await server.close();
    }
  });

  it('logs no console error', () => {
    expect(consoleErrors).toEqual([]);
  });
});
