import { initBackend } from '@gflow/backend';
import { InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readInfo } from './transform.js';
import { type ZClipState, zClip } from './z-clip.js';

beforeAll(async () => {
  await initBackend();
});

/**
 * ZClip as the paper writes it, in float64 on the host (independent of the device code): z-score
 * z = (x − μ)/σ, a spike z > z_thr clipped to μ + (z_thr²/z)·σ, the statistics moved by the
 * clipped norm; the warm-up's finite norms start μ and the population σ².
 */
function reference(norms: readonly number[], alpha: number, zThr: number, warmup: number) {
  const seen: number[] = [];
  let mu = 0;
  let v = 0;
  let ready = false;
  return norms.map((x, step) => {
    if (step < warmup) {
      if (Number.isFinite(x)) seen.push(x);
      mu = seen.reduce((a, b) => a + b, 0) / Math.max(seen.length, 1);
      v = seen.reduce((a, b) => a + (b - mu) ** 2, 0) / Math.max(seen.length, 1);
      ready = seen.length > 0;
      return { out: x, threshold: Number.POSITIVE_INFINITY };
    }
    const sigma = Math.sqrt(v);
    const threshold = mu + zThr * sigma;
    const z = (x - mu) / sigma;
    const c = ready && x > threshold ? mu + (zThr ** 2 / z) * sigma : x;
    if (Number.isFinite(x)) {
      mu = alpha * mu + (1 - alpha) * c;
      v = alpha * v + (1 - alpha) * (c - mu) ** 2;
    }
    return { out: c, threshold };
  });
}

describe('zClip', () => {
  it('matches a float64 reference of the paper over warm-up, calm steps, spikes and a NaN step', () => {
    const before = tf.memory().numTensors;
    // Global norms of a two-parameter gradient (3, 4)·x/5 and [0]: the norm is |x| by hand.
    const norms = [1, Number.NaN, 3, 2.5, 2.2, 9, 2.4, 40, Number.NaN, 2.6];
    const alpha = 0.9;
    const zThr = 2;
    const clip = zClip({ alpha, zThreshold: zThr, warmupSteps: 3 });
    const want = reference(norms, alpha, zThr, 3);
    const weights = { a: tf.zeros([2]), b: tf.zeros([1]) };
    let state: ZClipState = clip.init(weights);
    norms.forEach((x, i) => {
      const grads = { a: tf.tensor1d([(3 * x) / 5, (4 * x) / 5]), b: tf.tensor1d([0]) };
      const r = clip.update(grads, state);
      const a = (r.grads.a as tf.Tensor).dataSync();
      const info = readInfo(r.info);
      const w = want[i] as { out: number; threshold: number };
      if (Number.isFinite(x)) {
        // The clipped gradient keeps its direction (3, 4)/5 and has the reference's norm.
        expect(Math.hypot(a[0] as number, a[1] as number)).toBeCloseTo(w.out, 4);
        expect((a[0] as number) / (a[1] as number)).toBeCloseTo(0.75, 5);
      } else expect(Number.isNaN(a[0])).toBe(true);
      if (Number.isNaN(x)) expect(info['zClip.norm']).toBeNaN();
      else expect(info['zClip.norm']).toBeCloseTo(x, 5);
      if (Number.isFinite(w.threshold)) expect(info['zClip.threshold']).toBeCloseTo(w.threshold, 4);
      else expect(info['zClip.threshold']).toBe(Number.POSITIVE_INFINITY);
      tf.dispose([...Object.values(grads), ...Object.values(r.grads)]);
      state = r.state;
    });
    // The steps by hand: warm-up norms 1 and 3 (NaN skipped) give μ = 2, σ² = 1, so step 4's
    // threshold is 2 + 2·1 = 4 and 2.5 passes; 9 and 40 are spikes, clipped below their thresholds.
    expect(want[3]).toEqual({ out: 2.5, threshold: 4 });
    expect(want[5]?.out).toBeLessThan(want[5]?.threshold as number);
    expect(want[7]?.out).toBeLessThan(want[7]?.threshold as number);
    clip.dispose(state);
    tf.dispose(Object.values(weights));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('with σ = 0 a rise above μ clips to μ exactly; an unchanged norm passes', () => {
    const clip = zClip({ warmupSteps: 2 });
    const before = tf.memory().numTensors;
    const weights = { w: tf.zeros([1]) };
    let state = clip.init(weights);
    const norms: number[] = [];
    for (const x of [2, 2, 2, 5]) {
      const g = { w: tf.tensor1d([x]) };
      const r = clip.update(g, state);
      norms.push((r.grads.w as tf.Tensor).dataSync()[0] as number);
      tf.dispose([...Object.values(g), ...Object.values(r.grads), ...Object.values(r.info)]);
      state = r.state;
    }
    expect(norms).toEqual([2, 2, 2, 2]);
    clip.dispose(state);
    tf.dispose(Object.values(weights));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad options with a message naming the option, what it got and what it needs', () => {
    expect(() => zClip({ alpha: 1 })).toThrow(InvalidArgumentError);
    expect(() => zClip({ alpha: 1 })).toThrow(/zClip: options\.alpha must be .*\[0, 1\).*got 1/);
    expect(() => zClip({ zThreshold: 0 })).toThrow(
      /zClip: options\.zThreshold must be a finite number > 0, got 0/,
    );
    expect(() => zClip({ warmupSteps: 1.5 })).toThrow(
      /zClip: options\.warmupSteps must be an integer ≥ 1, got 1\.5/,
    );
    expect(() => zClip('fast' as never)).toThrow(/zClip: options must be an object, got "fast"/);
  });
});
