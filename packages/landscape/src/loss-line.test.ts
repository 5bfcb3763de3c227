import { initBackend } from '@gflow/backend';
import { GflowError, NonFiniteError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lossLine } from './loss-line.js';
import { bits } from './test-utils/models.js';
import { diagPlusRankOne, type Quadratic, quadratic } from './test-utils/quadratic.js';

const A = diagPlusRankOne([1, 2, 3, 0.5, -1, 4, 2, 1, 0.25], [0.3, -0.2, 0.1, 0.4, 0, 0.2, -0.1, 0.5, 0.3]);
const B = [0.1, -0.2, 0.3, 0, 0.5, -0.1, 0.2, 0.05, -0.3];
const THETA = [0.5, -1, 0.25, 2, 0.75, -0.5, 1, 0.1, -0.2];
const D = [1, 0, -1, 0.5, 0.5, 2, -1, 0.25, 1];
const dir = [
  { name: 'kernel', shape: [2, 3], values: D.slice(0, 6) },
  { name: 'bias', shape: [3], values: D.slice(6) },
];

let q: Quadratic;
let before: number;
beforeAll(async () => {
  await initBackend();
});
beforeEach(() => {
  q = quadratic(A, B, THETA);
  before = tf.memory().numTensors;
});
afterEach(() => {
  expect(tf.memory().numTensors).toBe(before);
  q.dispose();
});

const model = () => ({ name: 'q', parameters: () => q.params, apply: (x: tf.Tensor) => x });

describe('lossLine', () => {
  it('matches the closed form L(θ + αd) on a quadratic and restores the parameters bit for bit', () => {
    const snapshot = bits(model());
    const progress: number[] = [];
    const r = lossLine(q.lossFn, q.params, dir, {
      range: [-2, 1],
      points: 7,
      onProgress: (p) => progress.push(p.done / p.total),
    });
    expect(r.alphas).toEqual([-2, -1.5, -1, -0.5, 0, 0.5, 1]);
    r.alphas.forEach((a, i) => {
      const want = q.at(THETA.map((t, j) => t + a * D[j]!));
      expect(Math.abs(r.losses[i]! - want)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want)));
    });
    expect(r.centerLoss).toBeCloseTo(q.at(THETA), 5);
    expect(r.nonFinite).toEqual([]);
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7].map((k) => k / 7));
    expect(bits(model())).toEqual(snapshot);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('accepts tensors, a flat array or a Module, with the same result', () => {
    const kd = tf.tensor2d(D.slice(0, 6), [2, 3]);
    const bd = tf.tensor1d(D.slice(6));
    const a = lossLine(q.lossFn, q.params, [kd, bd], { points: 5 });
    const b = lossLine(q.lossFn, model(), D, { points: 5 });
    expect(a).toEqual(b);
    kd.dispose();
    bd.dispose();
  });

  it('averages an iterable of batches', () => {
    // Batch s scales the loss by s; the mean over s = 1, 2, 3 is 2 L.
    const r = lossLine(
      { loss: (s: number) => tf.tidy(() => tf.mul(s, q.lossFn())), batches: new Set([1, 2, 3]) },
      q.params,
      dir,
      { points: 3 },
    );
    r.alphas.forEach((a, i) => {
      expect(r.losses[i]).toBeCloseTo(2 * q.at(THETA.map((t, j) => t + a * D[j]!)), 4);
    });
  });

  it('restores the parameters when the loss throws midway, and when onProgress throws', () => {
    const snapshot = bits(model());
    let calls = 0;
    const failing = () => {
      calls++;
      if (calls === 4) throw new Error('boom');
      return q.lossFn();
    };
    expect(() => lossLine(failing, q.params, dir)).toThrow('boom');
    expect(bits(model())).toEqual(snapshot);
    expect(() =>
      lossLine(q.lossFn, q.params, dir, {
        onProgress: () => {
          throw new Error('stop');
        },
      }),
    ).toThrow('stop');
    expect(bits(model())).toEqual(snapshot);
  });

  it('records a non-finite loss away from the center as NaN and reports it', () => {
    // log(1 − α) is −∞ at α = 1 and NaN beyond.
    const k = q.params[0]!.variable;
    const lossFn = () =>
      tf.tidy(
        () =>
          tf.log(
            tf.sub(1, tf.sub(tf.mean(k), tf.scalar(THETA.slice(0, 6).reduce((s, x) => s + x, 0) / 6))),
          ) as tf.Scalar,
      );
    // Along d = all ones on the kernel, mean(k) − mean(θ_k) = α.
    const ones = [new Array(6).fill(1), new Array(3).fill(0)].map((values) => ({ values }));
    const r = lossLine(lossFn, q.params, ones, { range: [0, 2], points: 5 });
    expect(r.losses[0]).toBe(0);
    expect(r.losses[1]).toBeCloseTo(Math.log(0.5), 5);
    expect(r.losses.slice(2).every(Number.isNaN)).toBe(true);
    expect(r.nonFinite.map((p) => [p.index, p.value])).toEqual([
      [2, '-Infinity'],
      [3, 'NaN'],
      [4, 'NaN'],
    ]);
    expect(r.nonFinite[0]?.coordinates).toEqual([1]);
  });

  it('throws NonFiniteError when the loss at the center is not finite', () => {
    const snapshot = bits(model());
    expect(() => lossLine(() => tf.scalar(Number.NaN), q.params, dir)).toThrow(NonFiniteError);
    expect(() => lossLine(() => tf.scalar(Number.POSITIVE_INFINITY), q.params, dir)).toThrow(
      /lossLine: the loss at the center \(α = 0\) must be finite, got Infinity/,
    );
    expect(bits(model())).toEqual(snapshot);
  });

  it('rejects bad input with a GflowError naming the argument', () => {
    expect(() => lossLine(q.lossFn, q.params, dir, { points: 1 })).toThrow(
      /lossLine: options.points must be an integer ≥ 2, got 1/,
    );
    expect(() => lossLine(q.lossFn, q.params, dir, { points: 2.5 })).toThrow(GflowError);
    expect(() => lossLine(q.lossFn, q.params, dir, { range: [1, -1] })).toThrow(
      /options.range must be \[lo, hi\] with finite lo < hi/,
    );
    expect(() => lossLine(q.lossFn, q.params, [dir[0]!])).toThrow(
      /lossLine: direction must have one part per parameter \(2\), got 1/,
    );
    expect(() => lossLine(q.lossFn, q.params, [{ shape: [3, 2], values: D.slice(0, 6) }, dir[1]!])).toThrow(
      /direction\[0\] must match parameter "kernel" of shape \[2, 3\], got shape \[3, 2\]/,
    );
    expect(() => lossLine(() => tf.zeros([2]) as unknown as tf.Scalar, q.params, dir)).toThrow(
      /lossFn must return a scalar tensor, got a tensor of shape \[2\]/,
    );
    expect(() => lossLine({ loss: q.lossFn, batches: [] }, q.params, dir)).toThrow(
      /lossFn.batches must hold at least one batch/,
    );
  });

  it('restores bit-identically for any range and point count (property)', () => {
    const snapshot = bits(model());
    fc.assert(
      fc.property(
        fc.double({ min: -5, max: 5, noNaN: true }),
        fc.double({ min: 0.01, max: 5, noNaN: true }),
        fc.integer({ min: 2, max: 6 }),
        (lo, width, points) => {
          const r = lossLine(q.lossFn, q.params, dir, { range: [lo, lo + width], points });
          expect(r.losses).toHaveLength(points);
          expect(bits(model())).toEqual(snapshot);
        },
      ),
      { numRuns: 20, seed: 1 },
    );
  });
});
