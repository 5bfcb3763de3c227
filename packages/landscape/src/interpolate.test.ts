import { initBackend } from '@gflow/backend';
import { NonFiniteError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { interpolate } from './interpolate.js';
import { snapshotParameters } from './snapshot-parameters.js';
import { bits, classification, mlp, type TestModule } from './test-utils/models.js';

beforeAll(async () => {
  await initBackend();
});

describe('interpolate', () => {
  let m: TestModule;
  let before: number;
  beforeEach(() => {
    m = mlp({ inputs: 2, hidden: 3, outputs: 2, activation: 'tanh', seed: 4 });
    before = tf.memory().numTensors;
  });
  afterEach(() => {
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('gives the closed-form barrier of L = (‖θ‖² − 1)² between two orthogonal unit vectors', () => {
    // θ_α = (1 − α) a + α b, ‖θ_α‖² = (1 − α)² + α², so L(α) = ((1 − α)² + α² − 1)² = 4α²(1 − α)²;
    // both ends have L = 0, so the barrier is L(½) = ¼.
    const n = 17;
    const a = new Array(n).fill(0);
    const b = new Array(n).fill(0);
    a[0] = 1;
    b[5] = 1;
    const lossFn = () =>
      tf.tidy(() => {
        const sq = tf.addN(m.parameters().map((p) => tf.sum(tf.square(p.variable))));
        return tf.square(tf.sub(sq, 1)) as tf.Scalar;
      });
    const snapshot = bits(m);
    const r = interpolate(lossFn, m, a, b, { points: 5 });
    expect(r.alphas).toEqual([0, 0.25, 0.5, 0.75, 1]);
    r.alphas.forEach((al, i) => {
      expect(r.losses[i]).toBeCloseTo(4 * al * al * (1 - al) ** 2, 6);
    });
    expect(r.lossA).toBe(0);
    expect(r.lossB).toBe(0);
    expect(r.barrier).toBeCloseTo(0.25, 6);
    expect(r.barrierAlpha).toBe(0.5);
    expect(bits(m)).toEqual(snapshot);
  });

  it('reaches the end points exactly and accepts Modules as end points', () => {
    const data = classification(2, 8, [2], 2);
    const other = mlp({ inputs: 2, hidden: 3, outputs: 2, activation: 'tanh', seed: 9 });
    const lossFn = () => tf.tidy(() => tf.mean(tf.square(tf.sub(m.apply(data.xs), data.ys))) as tf.Scalar);
    const here = snapshotParameters(m);
    const l0 = tf.tidy(() => lossFn().dataSync()[0]!);
    const r = interpolate(lossFn, m, here, other, { points: 3, range: [-0.5, 1.5] });

    expect(r.lossA).toBe(l0);
    // L(θ_B): evaluate the other model directly.
    const lB = tf.tidy(() => tf.mean(tf.square(tf.sub(other.apply(data.xs), data.ys))).dataSync()[0]!);
    expect(r.lossB).toBe(lB);
    expect(r.alphas).toEqual([-0.5, 0.5, 1.5]);
    other.dispose();
    data.xs.dispose();
    data.ys.dispose();
  });

  it('rejects bad input and a non-finite end', () => {
    const lossFn = () => tf.tidy(() => tf.sum(m.parameters()[0]!.variable) as tf.Scalar);
    const here = snapshotParameters(m);
    expect(() => interpolate(lossFn, m, here, here, { points: 1 })).toThrow(
      /interpolate: options.points must be an integer ≥ 2/,
    );
    expect(() => interpolate(lossFn, m, here, here.slice(1))).toThrow(
      /interpolate: to must have one part per parameter/,
    );
    const bad = here.map((p, i) =>
      i === 0 ? { ...p, values: p.values.map(() => Number.POSITIVE_INFINITY) } : p,
    );
    expect(() => interpolate(lossFn, m, here, bad)).toThrow(/interpolate: to must be finite/);
    const logLoss = () => tf.tidy(() => tf.log(tf.sum(tf.abs(m.parameters()[0]!.variable))) as tf.Scalar);
    const zero = here.map((p) => ({ ...p, values: p.values.map(() => 0) }));
    expect(() => interpolate(logLoss, m, zero, here)).toThrow(NonFiniteError);
  });
});
