import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchNormTrain } from './batch-norm-train.js';
import { Rng } from './rng.js';

// An independent float64 reference: training-mode batch norm over the leading axes of a
// [m, C] view and the loss L = Σ r ⊙ y², written out in plain loops. Its derivatives are taken by
// central differences, so nothing below shares a formula with the op under test.
const SHAPE = [2, 2, 2, 3];
const C = 3;
const M = 8;
const EPS = 1e-3;

function loss64(theta: Float64Array, r: Float64Array): number {
  const x = theta.subarray(0, M * C);
  const gamma = theta.subarray(M * C, M * C + C);
  const beta = theta.subarray(M * C + C);
  let total = 0;
  for (let c = 0; c < C; c++) {
    let mean = 0;
    for (let i = 0; i < M; i++) mean += x[i * C + c]!;
    mean /= M;
    let variance = 0;
    for (let i = 0; i < M; i++) variance += (x[i * C + c]! - mean) ** 2;
    variance /= M;
    for (let i = 0; i < M; i++) {
      const y = (gamma[c]! * (x[i * C + c]! - mean)) / Math.sqrt(variance + EPS) + beta[c]!;
      total += r[i * C + c]! * y * y;
    }
  }
  return total;
}

/** ∂L/∂θᵢ by central differences, step h (float64). */
function grad64(theta: Float64Array, r: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(theta.length);
  const t = Float64Array.from(theta);
  for (let i = 0; i < t.length; i++) {
    t[i] = theta[i]! + h;
    const up = loss64(t, r);
    t[i] = theta[i]! - h;
    g[i] = (up - loss64(t, r)) / (2 * h);
    t[i] = theta[i]!;
  }
  return g;
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

function draw(n: number, seed: number, scale = 1, shift = 0): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: n }, () => shift + scale * rng.normal());
}

describe('batchNormTrain', () => {
  beforeAll(async () => {
    await initBackend();
  });

  // Inputs far from standardized (mean 2, scale 3) and a γ away from 1, so that every term of the
  // closed form matters.
  const theta = Float64Array.from([...draw(M * C, 1, 3, 2), ...draw(C, 2, 0.5, 1), ...draw(C, 3, 0.5)]);
  const r = draw(M * C, 4);
  const v = draw(theta.length, 5);

  /** The op's L, with x, γ, β taken from the flat θ tensor so that one gradient covers all three. */
  function lossOf(t: tf.Tensor1D, rt: tf.Tensor): tf.Scalar {
    const x = tf.reshape(tf.slice(t, 0, M * C), SHAPE);
    const gamma = tf.slice(t, M * C, C);
    const beta = tf.slice(t, M * C + C, C);
    const y = batchNormTrain(x, gamma, beta, EPS);
    return tf.sum(tf.mul(rt, tf.square(y)));
  }

  it('returns the batch statistics and a standardized output', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const x = tf.tensor(Float32Array.from(theta.subarray(0, M * C)), SHAPE);
      let stats: number[][] = [];
      const y = batchNormTrain(x, tf.ones([C]), tf.zeros([C]), EPS, (mean, variance) => {
        stats = [Array.from(mean.dataSync()), Array.from(variance.dataSync())];
      });
      const xs = theta.subarray(0, M * C);
      for (let c = 0; c < C; c++) {
        let mean = 0;
        for (let i = 0; i < M; i++) mean += xs[i * C + c]!;
        mean /= M;
        let variance = 0;
        for (let i = 0; i < M; i++) variance += (xs[i * C + c]! - mean) ** 2;
        variance /= M;
        expect(stats[0]?.[c]).toBeCloseTo(mean, 5);
        expect(stats[1]?.[c]).toBeCloseTo(variance, 4);
        const ys = y.dataSync();
        for (let i = 0; i < M; i++)
          expect(ys[i * C + c]).toBeCloseTo((xs[i * C + c]! - mean) / Math.sqrt(variance + EPS), 5);
      }
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gradient in x, γ and β matches float64 central differences (relative 1e-5)', () => {
    const before = tf.memory().numTensors;
    const expected = grad64(theta, r);
    const got = tf.tidy(() => {
      const rt = tf.tensor(Float32Array.from(r), SHAPE);
      return tf
        .grad((t: tf.Tensor) => lossOf(t as tf.Tensor1D, rt))(tf.tensor1d(Float32Array.from(theta)))
        .dataSync();
    });
    expect(relErr(got, expected)).toBeLessThan(1e-5);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('Hessian-vector product (double backprop) matches float64 differences of the gradient (relative 1e-4)', () => {
    const before = tf.memory().numTensors;
    // Hv ≈ (∇L(θ + hv) − ∇L(θ − hv)) / 2h, each gradient itself by central differences.
    const h = 1e-4;
    const up = grad64(
      theta.map((t, i) => t + h * v[i]!),
      r,
      1e-5,
    );
    const down = grad64(
      theta.map((t, i) => t - h * v[i]!),
      r,
      1e-5,
    );
    const expected = up.map((u, i) => (u - down[i]!) / (2 * h));
    const got = tf.tidy(() => {
      const rt = tf.tensor(Float32Array.from(r), SHAPE);
      const vt = tf.tensor1d(Float32Array.from(v));
      const gradDotV = (t: tf.Tensor): tf.Scalar =>
        tf.sum(tf.mul(tf.grad((s: tf.Tensor) => lossOf(s as tf.Tensor1D, rt))(t), vt));
      return tf
        .grad(gradDotV)(tf.tensor1d(Float32Array.from(theta)))
        .dataSync();
    });
    expect(relErr(got, expected)).toBeLessThan(1e-4);
    expect(tf.memory().numTensors).toBe(before);
  });
});
