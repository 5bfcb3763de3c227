import { initBackend } from '@gflow/backend';
import { InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { normsPathOf, type SquaredNorms } from '../internal/norms-path.js';
import { close } from '../test-utils/tiny.js';
import { clipByGlobalNorm } from './clip-by-global-norm.js';
import { readInfo } from './transform.js';

beforeAll(async () => {
  await initBackend();
});

describe("clipByGlobalNorm's shared-norms path", () => {
  it('takes ‖g‖ from the given scaled pairs: (3, 4) and (12) → ‖g‖ = 13, scale 1/13', () => {
    const before = tf.memory().numTensors;
    // a = (3, 4): m = 4, s = (3/4)² + 1 = 25/16; b = (12): m = 12, s = 1; ‖g‖ = √(25 + 144) = 13.
    // Clipped to 1: g/13.
    const grads = { a: tf.tensor1d([3, 4]), b: tf.tensor1d([12]) };
    // The pairs in the order b, a: the names say which is which.
    const sqNorms: SquaredNorms = { names: ['b', 'a'], pairs: tf.tensor1d([12, 1, 4, 25 / 16]) };
    const t = clipByGlobalNorm(1);
    const state = t.init(grads);
    const r = normsPathOf(t)!(grads, sqNorms, state);
    expect(close(r.grads.a!.dataSync(), [3 / 13, 4 / 13], 1e-7)).toBe(true);
    expect(close(r.grads.b!.dataSync(), [12 / 13], 1e-7)).toBe(true);
    const info = readInfo(r.info);
    expect(info['clipByGlobalNorm.norm']).toBeCloseTo(13, 5);
    expect(info['clipByGlobalNorm.scale']).toBeCloseTo(1 / 13, 7);
    // The same as update, which squares the gradients itself.
    const u = t.update(grads, state);
    expect(close(u.grads.a!.dataSync(), r.grads.a!.dataSync(), 1e-7)).toBe(true);
    expect(readInfo(u.info)).toEqual(info);
    // The norms are the caller's: not disposed.
    expect(sqNorms.pairs.isDisposed).toBe(false);
    tf.dispose([
      ...Object.values(r.grads),
      ...Object.values(u.grads),
      sqNorms.pairs,
      ...Object.values(grads),
    ]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects norms that do not name exactly the gradients, or have the wrong length', () => {
    const before = tf.memory().numTensors;
    const grads = { a: tf.tensor1d([3, 4]), b: tf.tensor1d([12]) };
    const t = clipByGlobalNorm(1);
    const state = t.init(grads);
    const v2 = tf.tensor1d([4, 25 / 16, 12, 1]);
    const v3 = tf.tensor1d([4, 25 / 16, 12, 1, 1, 1]);
    expect(() => normsPathOf(t)!(grads, { names: ['a'], pairs: v2 }, state)).toThrow(InvalidArgumentError);
    expect(() => normsPathOf(t)!(grads, { names: ['a', 'c'], pairs: v2 }, state)).toThrow(
      /clipByGlobalNorm: sqNorms.names must be exactly the names of grads \["a", "b"\], got \["a", "c"\]/,
    );
    expect(() => normsPathOf(t)!(grads, { names: ['a', 'a'], pairs: v2 }, state)).toThrow(
      /sqNorms.names must be exactly/,
    );
    expect(() => normsPathOf(t)!(grads, { names: ['a', 'b'], pairs: v3 }, state)).toThrow(
      /sqNorms.pairs must have shape \[4\], got \[6\]/,
    );
    expect(() => normsPathOf(t)!(grads, null as unknown as SquaredNorms, state)).toThrow(
      /sqNorms must be \{names, pairs\}/,
    );
    tf.dispose([v2, v3, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('clipByGlobalNorm at extreme magnitudes', () => {
  it('clips gradients of norm 1e25 to norm 1, and measures 1e-30 without clipping (no NaN, no 0)', () => {
    const before = tf.memory().numTensors;
    // a = (3e24, 4e24): ‖a‖ = 5e24; b = (12e24): ‖g‖ = 13e24. A float32 Σg² would be 1.7e50 = ∞.
    const huge = { a: tf.tensor1d([3e24, 4e24]), b: tf.tensor1d([12e24]) };
    const t = clipByGlobalNorm(1);
    const r = t.update(huge, t.init(huge));
    expect(close(r.grads.a!.dataSync(), [3 / 13, 4 / 13], 1e-6)).toBe(true);
    expect(close(r.grads.b!.dataSync(), [12 / 13], 1e-6)).toBe(true);
    const info = readInfo(r.info);
    expect(info['clipByGlobalNorm.norm']! / 1.3e25).toBeCloseTo(1, 6);
    // 1e-30 elements: Σg² = 2.5e-59 underflows float32 to 0; the norm is 5e-30, far below 1.
    const tiny = { a: tf.tensor1d([3e-30, 4e-30]), b: tf.tensor1d([0]) };
    const u = t.update(tiny, t.init(tiny));
    const uInfo = readInfo(u.info);
    expect(uInfo['clipByGlobalNorm.norm']! / 5e-30).toBeCloseTo(1, 6);
    expect(uInfo['clipByGlobalNorm.scale']).toBe(1);
    expect(Array.from(u.grads.a!.dataSync())).toEqual(Array.from(tiny.a.dataSync()));
    tf.dispose([
      ...Object.values(r.grads),
      ...Object.values(u.grads),
      ...Object.values(huge),
      ...Object.values(tiny),
    ]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a norm beyond float32 (elements 3e38, norm 6e38) still gives a finite, right factor', () => {
    const before = tf.memory().numTensors;
    const g = { a: tf.tensor1d([3e38, 3e38, 3e38, 3e38]) };
    const t = clipByGlobalNorm(1);
    const r = t.update(g, t.init(g));
    // Each element becomes 3e38 / 6e38 = 0.5 (the clipped vector has norm 1).
    expect(close(r.grads.a!.dataSync(), [0.5, 0.5, 0.5, 0.5], 1e-5)).toBe(true);
    tf.dispose([...Object.values(r.grads), ...Object.values(r.info), ...Object.values(g)]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
