import { initBackend } from '@gflow/backend';
import { GflowError, InvalidArgumentError, ShapeError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { close, tidyValue } from '../test-utils/tiny.js';
import { adaptiveGradientClip } from './adaptive-gradient-clip.js';
import { autoClip } from './auto-clip.js';
import { clipByGlobalNorm } from './clip-by-global-norm.js';
import { clipByNorm } from './clip-by-norm.js';
import { clipByValue } from './clip-by-value.js';
import { emaClip } from './ema-clip.js';
import { gradientAwareLearningRate } from './gradient-aware-learning-rate.js';
import { spectralNormalization } from './spectral-normalization.js';
import { chain, type GradientTransform, readInfo } from './transform.js';

beforeAll(async () => {
  await initBackend();
});

/** Runs one update on plain arrays; returns the new grads as arrays, the info as numbers. */
function step<S>(
  t: GradientTransform<S>,
  state: S,
  grads: Record<string, tf.Tensor>,
  params?: Record<string, tf.Tensor>,
) {
  const r = t.update(grads, state, params);
  const out: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(r.grads)) out[k] = Array.from(v.dataSync());
  tf.dispose(Object.values(r.grads));
  return { grads: out, info: readInfo(r.info), state: r.state };
}

function leakFree(f: () => void): void {
  const before = tf.memory().numTensors;
  tf.tidy(f);
  expect(tf.memory().numTensors).toBe(before);
}

describe('clipping by hand', () => {
  it('clipByGlobalNorm: (3, 4) clipped to norm 1 is (0.6, 0.8), norm before reported', () =>
    leakFree(() => {
      const g = { w: tf.tensor1d([3, 4]) };
      const t = clipByGlobalNorm(1);
      const r = step(t, t.init(g), g);
      expect(close(r.grads.w!, [0.6, 0.8], 1e-7)).toBe(true);
      expect(r.info['clipByGlobalNorm.norm']).toBeCloseTo(5, 6);
      expect(r.info['clipByGlobalNorm.scale']).toBeCloseTo(0.2, 7);
      // Across tensors: a = [3], b = [4] → global norm 5 → [0.6], [0.8]. Below the limit: unchanged.
      const g2 = { a: tf.tensor1d([3]), b: tf.tensor1d([4]) };
      const r2 = step(clipByGlobalNorm(1), clipByGlobalNorm(1).init(g2), g2);
      expect(r2.grads.a![0]).toBeCloseTo(0.6, 7);
      expect(r2.grads.b![0]).toBeCloseTo(0.8, 7);
      const r3 = step(clipByGlobalNorm(10), clipByGlobalNorm(10).init(g2), g2);
      expect(r3.grads).toEqual({ a: [3], b: [4] });
    }));

  it('clipByValue and clipByNorm', () =>
    leakFree(() => {
      const g = { w: tf.tensor1d([3, -0.5, -4, 1]) };
      const r = step(clipByValue(1), clipByValue(1).init(g), g);
      expect(r.grads.w).toEqual([1, -0.5, -1, 1]);
      expect(r.info['clipByValue.fraction']).toBeCloseTo(0.5, 7); // 3 and -4 exceed 1
      const g2 = { a: tf.tensor1d([3, 4]), b: tf.tensor1d([0.1]) };
      const r2 = step(clipByNorm(1), clipByNorm(1).init(g2), g2);
      expect(close(r2.grads.a!, [0.6, 0.8], 1e-7)).toBe(true);
      expect(close(r2.grads.b!, [0.1], 1e-8)).toBe(true);
      expect(r2.info['clipByNorm.clipped']).toBe(1);
    }));

  it('adaptiveGradientClip works per output column (dense), per output channel (conv HWIO), per vector (bias)', () =>
    leakFree(() => {
      // W = [[3, 0], [4, 1]]: column norms 5 and 1. G = [[1, 0], [0, 2]]: column norms 1 and 2.
      const w = tf.tensor2d([
        [3, 0],
        [4, 1],
      ]);
      const g = tf.tensor2d([
        [1, 0],
        [0, 2],
      ]);
      const agc = adaptiveGradientClip(0.1);
      // λ = 0.1: column 0 may have norm 0.5 (has 1) → (0.5, 0); column 1 may have 0.1 (has 2) → (0, 0.1).
      const r = step(agc, agc.init({ w }), { w: g }, { w });
      expect(close(r.grads.w!, [0.5, 0, 0, 0.1], 1e-7)).toBe(true);
      expect(r.info['adaptiveGradientClip.fraction']).toBe(1);
      // λ = 0.5: column 0 may have 2.5 (kept), column 1 may have 0.5 → (0, 0.5).
      const r2 = step(adaptiveGradientClip(0.5), agc.init({ w }), { w: g }, { w });
      expect(close(r2.grads.w!, [1, 0, 0, 0.5], 1e-7)).toBe(true);
      expect(r2.info['adaptiveGradientClip.fraction']).toBeCloseTo(0.5, 7);
      // The same numbers as a 1×1 conv kernel [1, 1, 2, 2] (HWIO): one unit per output channel.
      const wc = tf.reshape(w, [1, 1, 2, 2]);
      const gc = tf.reshape(g, [1, 1, 2, 2]);
      const r3 = step(agc, agc.init({ k: wc }), { k: gc }, { k: wc });
      expect(close(r3.grads.k!, [0.5, 0, 0, 0.1], 1e-7)).toBe(true);
      // A zero bias: the weight norm is floored at eps = 1e-3, so G = (3, 4) → 1·1e-3·(0.6, 0.8).
      const b = tf.zeros([2]);
      const r4 = step(
        adaptiveGradientClip(1),
        adaptiveGradientClip(1).init({ b }),
        { b: tf.tensor1d([3, 4]) },
        { b },
      );
      expect(close(r4.grads.b!, [6e-4, 8e-4], 1e-9)).toBe(true);
    }));

  it('adaptiveGradientClip needs the weights', () =>
    leakFree(() => {
      const w = tf.ones([2, 2]);
      expect(() => adaptiveGradientClip(0.1).update({ w }, { spec: { w: [2, 2] } })).toThrow(
        /adaptiveGradientClip: params must be given to update/,
      );
    }));

  it('autoClip clips to the running percentile (numpy linear interpolation)', () => {
    const before = tf.memory().numTensors;
    const t = autoClip(50, 3);
    const g = (n: number) => ({ w: tf.tensor1d([n, 0]) });
    let state = tidyValue(() => t.init(g(1)));
    const norms: number[] = [];
    const thresholds: number[] = [];
    for (const n of [1, 3, 2, 10]) {
      const grads = g(n);
      const r = step(t, state, grads);
      tf.dispose(Object.values(grads));
      state = r.state;
      norms.push(r.grads.w![0] as number);
      thresholds.push(r.info['autoClip.threshold'] as number);
    }
    // Medians: {1} → 1; {1,3} → 2; {1,3,2} → 2; last 3 of {1,3,2,10} = {3,2,10} → 3.
    expect(thresholds).toEqual([1, 2, 2, 3]);
    expect(norms).toEqual([1, 2, 2, 3]);
    t.dispose(state);
    // Percentile 25 of {1, 2, 3, 10}: rank 0.75 → 1 + 0.75·(2 − 1) = 1.75.
    const t2 = autoClip(25, 10);
    let s2 = tidyValue(() => t2.init(g(1)));
    let last = 0;
    for (const n of [3, 10, 1, 2]) {
      const grads = g(n);
      const r = step(t2, s2, grads);
      tf.dispose(Object.values(grads));
      s2 = r.state;
      last = r.info['autoClip.threshold'] as number;
    }
    expect(last).toBeCloseTo(1.75, 6);
    t2.dispose(s2);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('emaClip clips against the moving average and ignores a non-finite step', () => {
    const before = tf.memory().numTensors;
    const t = emaClip(0.5, 2);
    const g = (n: number) => ({ w: tf.tensor1d([0, n]) });
    let state = tidyValue(() => t.init(g(1)));
    const seen: number[][] = [];
    for (const n of [4, 10, 1, Number.NaN, 100]) {
      const grads = g(n);
      const r = step(t, state, grads);
      tf.dispose(Object.values(grads));
      state = r.state;
      seen.push([r.grads.w![1] as number, r.info['emaClip.threshold'] as number]);
    }
    // 4: first step, threshold 4 (its own norm), ema 4. 10: threshold 8, clipped to 8, ema 6.
    // 1: threshold 12, ema 3.5. NaN: ema stays 3.5. 100: threshold 7 → clipped to 7.
    expect(seen[0]).toEqual([4, 4]);
    expect(seen[1]).toEqual([8, 8]);
    expect(seen[2]).toEqual([1, 12]);
    expect(seen[3]![1]).toBe(7);
    expect(seen[4]![0]).toBeCloseTo(7, 5);
    expect(seen[4]![1]).toBe(7);
    t.dispose(state);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gradientAwareLearningRate keeps the norm within [min, max]', () =>
    leakFree(() => {
      const t = gradientAwareLearningRate(1, 2);
      const factor = (n: number) => {
        const g = { w: tf.tensor1d([n]) };
        return step(t, t.init(g), g).info['gradientAwareLearningRate.factor'];
      };
      expect(factor(0.5)).toBeCloseTo(2, 6);
      expect(factor(5)).toBeCloseTo(0.4, 6);
      expect(factor(1.5)).toBe(1);
      expect(factor(0)).toBe(1);
    }));

  it('chain composes left to right', () =>
    leakFree(() => {
      // clipByValue(3.5): (3, 4) → (3, 3.5), norm √21.25 = 4.60977; then to norm 1.
      const g = { w: tf.tensor1d([3, 4]) };
      const t = chain(clipByValue(3.5), clipByGlobalNorm(1));
      const r = step(t, t.init(g), g);
      expect(close(r.grads.w!, [3 / Math.sqrt(21.25), 3.5 / Math.sqrt(21.25)], 1e-6)).toBe(true);
      expect(r.info['clipByGlobalNorm.norm']).toBeCloseTo(Math.sqrt(21.25), 5);
      expect(Object.keys(r.info).sort()).toEqual([
        'clipByGlobalNorm.norm',
        'clipByGlobalNorm.scale',
        'clipByValue.fraction',
      ]);
      // An empty chain is the identity (new tensors).
      const e = step(chain(), chain().init(g), g);
      expect(e.grads.w).toEqual([3, 4]);
    }));

  it('property: clipByGlobalNorm never exceeds c and keeps the direction', () => {
    const t = clipByGlobalNorm(1.5);
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 20 }),
        (xs) =>
          tf.tidy(() => {
            const g = { w: tf.tensor1d(xs) };
            const r = step(t, t.init(g), g);
            const out = r.grads.w!;
            const n = Math.hypot(...out);
            const n0 = Math.hypot(...xs.map((x) => Math.fround(x)));
            if (n > 1.5 * (1 + 1e-5)) return false;
            if (n0 <= 1.5) return close(out, xs, 1e-6, 1e-6);
            // Same direction: out = xs · (1.5 / n0).
            return close(
              out,
              xs.map((x) => (x * 1.5) / n0),
              1e-5,
              1e-4,
            );
          }),
      ),
      { seed: 42, numRuns: 60 },
    );
  });
});

describe('adaptiveGradientClip property', () => {
  it('every output column ends with ‖Gᵢ‖ ≤ λ·max(‖Wᵢ‖, ε), unclipped columns unchanged', () => {
    const lambda = 0.3;
    const agc = adaptiveGradientClip(lambda);
    const entries = fc.array(fc.float({ min: -5, max: 5, noNaN: true }), { minLength: 12, maxLength: 12 });
    fc.assert(
      fc.property(entries, entries, (wv, gv) =>
        tf.tidy(() => {
          const w = tf.tensor2d(wv, [3, 4]);
          const g = tf.tensor2d(gv, [3, 4]);
          const r = agc.update({ w: g }, agc.init({ w }), { w });
          const out = r.grads.w!.arraySync() as number[][];
          tf.dispose([...Object.values(r.grads), ...Object.values(r.info)]);
          const W = w.arraySync();
          const G = g.arraySync();
          for (let j = 0; j < 4; j++) {
            const col = (m: number[][]) => Math.hypot(m[0]![j]!, m[1]![j]!, m[2]![j]!);
            const limit = lambda * Math.max(col(W), 1e-3);
            if (col(out) > limit * (1 + 1e-5) + 1e-7) return false;
            if (col(G) <= limit && ![0, 1, 2].every((i) => out[i]![j] === G[i]![j])) return false;
          }
          return true;
        }),
      ),
      { seed: 11, numRuns: 60 },
    );
  });
});

describe('spectralNormalization', () => {
  it('estimates σ with vectors carried across steps and normalises to the target', () => {
    const before = tf.memory().numTensors;
    // W = R(0.3)·diag(5, 2)·R(1.1)ᵀ has singular values exactly 5 and 2.
    const rot = (a: number) => [
      [Math.cos(a), -Math.sin(a)],
      [Math.sin(a), Math.cos(a)],
    ];
    const w = tf.tidy(() =>
      tf.matMul(
        tf.matMul(
          tf.tensor2d(rot(0.3)),
          tf.tensor2d([
            [5, 0],
            [0, 2],
          ]),
        ),
        tf.tensor2d(rot(1.1)),
        false,
        true,
      ),
    );
    const sn = spectralNormalization({ seed: 3 });
    let state = sn.init({ w });
    let sigma = 0;
    for (let i = 0; i < 12; i++) {
      const r = sn.update({ w }, state);
      state = r.state;
      sigma = readInfo(r.info)['spectralNormalization.sigma.w'] as number;
      if (i === 11) {
        // W/σ has spectral norm 1: its largest singular value, from the 2×2 closed form.
        const m = r.params.w!.dataSync();
        const [a, b, c, d] = [m[0]!, m[1]!, m[2]!, m[3]!];
        const fro2 = a * a + b * b + c * c + d * d;
        const det = a * d - b * c;
        const smax = Math.sqrt((fro2 + Math.sqrt(fro2 * fro2 - 4 * det * det)) / 2);
        expect(smax).toBeCloseTo(1, 4);
      }
      tf.dispose(Object.values(r.params));
    }
    // One iteration per step: the error shrinks like (2/5)^(2k); after 12 steps far below 1e-4.
    expect(sigma).toBeCloseTo(5, 4);
    sn.dispose(state);
    // 'clip' mode leaves a matrix already below the target alone; vectors are not normalised.
    const clip = spectralNormalization({ mode: 'clip', target: 10, iterations: 20 });
    const b = tf.zeros([2]);
    const s2 = clip.init({ w, b });
    expect(Object.keys(s2.u)).toEqual(['w']);
    const r2 = clip.update({ w, b }, s2);
    expect(close(r2.params.w!.dataSync(), w.dataSync(), 1e-6)).toBe(true);
    tf.dispose([...Object.values(r2.params), ...Object.values(r2.info)]);
    clip.dispose(r2.state);
    tf.dispose([w, b]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('finds σ of weights at 1e-25 and 1e+25 (power iteration without float32 Σx²)', () => {
    const before = tf.memory().numTensors;
    for (const scale of [1e-25, 1e25]) {
      // diag(3, 1)·scale: σ = 3·scale, and W/σ = diag(1, 1/3).
      const w = tf.tensor2d([3 * scale, 0, 0, scale], [2, 2]);
      const sn = spectralNormalization({ iterations: 30 });
      const s = sn.init({ w });
      const r = sn.update({ w }, s);
      const sigma = readInfo(r.info)['spectralNormalization.sigma.w'] as number;
      expect(Math.abs(sigma / (3 * scale) - 1)).toBeLessThan(1e-5);
      expect(close(r.params.w!.dataSync(), [1, 0, 0, 1 / 3], 1e-5)).toBe(true);
      tf.dispose([...Object.values(r.params), w]);
      sn.dispose(r.state);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('views a conv kernel HWIO as [h·w·in, out]', () => {
    const before = tf.memory().numTensors;
    // [1, 1, 2, 2] holding diag(3, 1): σ = 3.
    const k = tf.tensor4d([3, 0, 0, 1], [1, 1, 2, 2]);
    const sn = spectralNormalization({ iterations: 30 });
    const s = sn.init({ k });
    const r = sn.update({ k }, s);
    expect(readInfo(r.info)['spectralNormalization.sigma.k']).toBeCloseTo(3, 4);
    expect(close(r.params.k!.dataSync(), [1, 0, 0, 1 / 3], 1e-5)).toBe(true);
    tf.dispose(Object.values(r.params));
    sn.dispose(r.state);
    k.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('bad input', () => {
  it('rejects negative or zero thresholds and percentiles outside (0, 100]', () => {
    expect(() => clipByGlobalNorm(-1)).toThrow(
      /clipByGlobalNorm: maxNorm must be a finite number > 0, got -1/,
    );
    expect(() => clipByGlobalNorm(0)).toThrow(InvalidArgumentError);
    expect(() => clipByValue(Number.NaN)).toThrow(/clipByValue: maxValue/);
    expect(() => clipByNorm(-2)).toThrow(GflowError);
    expect(() => adaptiveGradientClip(0.01, -1)).toThrow(
      /adaptiveGradientClip: eps must be a finite number ≥ 0, got -1/,
    );
    expect(() => autoClip(0)).toThrow(/autoClip: percentile must be in \(0, 100\], got 0/);
    expect(() => autoClip(100.5)).toThrow(/autoClip: percentile must be in \(0, 100\], got 100.5/);
    expect(() => autoClip(10, 0)).toThrow(/autoClip: historyLength must be an integer ≥ 1, got 0/);
    expect(() => emaClip(1, 2)).toThrow(/emaClip: alpha must be in \[0, 1\), got 1/);
    expect(() => emaClip(0.9, 0)).toThrow(/emaClip: factor/);
    expect(() => gradientAwareLearningRate(2, 1)).toThrow(
      /gradientAwareLearningRate: maxNorm must be ≥ minNorm/,
    );
    expect(() => spectralNormalization({ iterations: 0 })).toThrow(
      /spectralNormalization: options.iterations/,
    );
    expect(() => chain({} as never)).toThrow(/chain: transforms\[0\] must be a GradientTransform/);
  });

  it('rejects gradients whose names or shapes differ from init', () =>
    leakFree(() => {
      const t = chain(clipByGlobalNorm(1), autoClip(10, 5));
      const state = t.init({ a: tf.zeros([2, 3]), b: tf.zeros([3]) });
      expect(() => t.update({ a: tf.zeros([2, 3]) }, state)).toThrow(ShapeError);
      expect(() => t.update({ a: tf.zeros([2, 3]) }, state)).toThrow(
        /clipByGlobalNorm: grads must have the names given to init \["a", "b"\], got \["a"\] \(missing \["b"\]\)/,
      );
      expect(() => t.update({ a: tf.zeros([3, 2]), b: tf.zeros([3]) }, state)).toThrow(
        /clipByGlobalNorm: grads\["a"\] must have shape \[2, 3\], got \[3, 2\]/,
      );
      const agc = adaptiveGradientClip(0.1);
      const s = agc.init({ a: tf.zeros([2]) });
      expect(() => agc.update({ a: tf.zeros([2]) }, s, { c: tf.zeros([2]) })).toThrow(
        /adaptiveGradientClip: params must have the names/,
      );
      t.dispose(state);
    }));

  it('leaks nothing over many steps of a chain with device state', () => {
    const t = chain(
      autoClip(10, 8),
      emaClip(0.9, 3),
      clipByGlobalNorm(2),
      gradientAwareLearningRate(1e-3, 10),
    );
    const w = tf.zeros([4, 3]);
    let state = t.init({ w });
    let before = tf.memory().numTensors;
    for (let i = 0; i < 40; i++) {
      // emaClip's state holds its average from the first step on: count from there.
      if (i === 1) before = tf.memory().numTensors;
      const g = { w: tf.randomNormal([4, 3], 0, 1 + (i % 5), 'float32', i) };
      const r = t.update(g, state, { w });
      state = r.state;
      tf.dispose([...Object.values(g), ...Object.values(r.grads), ...Object.values(r.info)]);
    }
    expect(tf.memory().numTensors).toBe(before);
    t.dispose(state);
    w.dispose();
  });
});
