import { initBackend } from '@gflow/backend';
import { NonFiniteError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lossPlane } from './loss-plane.js';
import { bits } from './test-utils/models.js';
import { diagPlusRankOne, type Quadratic, quadratic } from './test-utils/quadratic.js';

const A = diagPlusRankOne([1, 2, 3, 0.5, -1, 4, 2, 1, 0.25], [0.3, -0.2, 0.1, 0.4, 0, 0.2, -0.1, 0.5, 0.3]);
const B = [0.1, -0.2, 0.3, 0, 0.5, -0.1, 0.2, 0.05, -0.3];
const THETA = [0.5, -1, 0.25, 2, 0.75, -0.5, 1, 0.1, -0.2];
const D1 = [1, 0, -1, 0.5, 0.5, 2, -1, 0.25, 1];
const D2 = [0, 1, 0.5, -0.5, 1, 0, 0.3, -1, 0.2];

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

describe('lossPlane', () => {
  it('matches L(θ + x d1 + y d2) in closed form, rows along y, and restores the parameters', () => {
    const snapshot = bits(model());
    let calls = 0;
    const r = lossPlane(q.lossFn, q.params, D1, D2, {
      range: [
        [-1, 1],
        [0, 2],
      ],
      points: [3, 4],
      onProgress: () => calls++,
    });
    expect(r.xs).toEqual([-1, 0, 1]);
    expect(r.ys).toEqual([0, 2 / 3, 4 / 3, 2]);
    expect(r.losses).toHaveLength(4);
    r.ys.forEach((y, j) => {
      expect(r.losses[j]).toHaveLength(3);
      r.xs.forEach((x, i) => {
        const want = q.at(THETA.map((t, k) => t + x * D1[k]! + y * D2[k]!));
        expect(Math.abs(r.losses[j]![i]! - want)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want)));
      });
    });
    expect(calls).toBe(12);
    expect(bits(model())).toEqual(snapshot);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('records non-finite points as NaN with both indices, and rejects a non-finite center', () => {
    const k = q.params[0]!.variable;
    const k0 = THETA.slice(0, 6);
    // sqrt(1 − (x² + y²)) along orthonormal-in-kernel directions: NaN outside the unit disc.
    const e1 = [1, 0, 0, 0, 0, 0, 0, 0, 0];
    const e2 = [0, 1, 0, 0, 0, 0, 0, 0, 0];
    const lossFn = () =>
      tf.tidy(() => {
        const d = tf.sub(tf.reshape(k, [-1]), tf.tensor1d(k0));
        return tf.sqrt(tf.sub(1, tf.sum(tf.square(d)))) as tf.Scalar;
      });
    const r = lossPlane(lossFn, q.params, e1, e2, { range: [-1.5, 1.5], points: 3 });
    const nan = r.nonFinite.map((p) => [p.index, p.index2]);
    // Only the center (0, 0) lies inside the unit disc: 1.5² > 1.
    expect(nan).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
      [0, 1],
      [2, 1],
      [0, 2],
      [1, 2],
      [2, 2],
    ]);
    expect(r.losses[1]![1]).toBe(1);
    expect(Number.isNaN(r.losses[0]![1]!)).toBe(true);
    expect(r.losses[0]![1]).not.toBe(r.losses[1]![1]);
    expect(() => lossPlane(() => tf.scalar(Number.NaN), q.params, D1, D2)).toThrow(NonFiniteError);
  });

  it('rejects bad input', () => {
    expect(() => lossPlane(q.lossFn, q.params, D1, D2, { points: [3, 1] })).toThrow(
      /lossPlane: options.points\[1\] must be an integer ≥ 2, got 1/,
    );
    expect(() => lossPlane(q.lossFn, q.params, D1, D2.slice(1))).toThrow(/lossPlane: d2 must have 9 values/);
    expect(() =>
      lossPlane(q.lossFn, q.params, D1, D2, {
        range: [
          [0, 1],
          [1, 1],
        ],
      }),
    ).toThrow(/options.range\[1\] must be \[lo, hi\]/);
  });
});
