import { initBackend } from '@gflow/backend';
import { GflowError, InvalidArgumentError, ShapeError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../internal/rng.js';
import { groupNorm } from './group-norm.js';

// An independent float64 reference: group norm of an [N, S, C] view written out in plain loops,
// and the loss L = Σ r ⊙ y². Derivatives are central differences of it, so nothing below shares a
// formula with the layer under test.
const SHAPE = [2, 3, 2, 4]; // N = 2, S = 3·2 = 6, C = 4
const N = 2;
const S = 6;
const C = 4;
const G = 2;
const EPS = 1e-3;
const NX = N * S * C;

function forward64(x: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>): Float64Array {
  const y = new Float64Array(NX);
  const per = C / G;
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const idx: number[] = [];
      for (let s = 0; s < S; s++) for (let c = g * per; c < (g + 1) * per; c++) idx.push((n * S + s) * C + c);
      let mean = 0;
      for (const i of idx) mean += x[i]!;
      mean /= idx.length;
      let variance = 0;
      for (const i of idx) variance += (x[i]! - mean) ** 2;
      variance /= idx.length;
      for (const i of idx) {
        const c = i % C;
        y[i] = (gamma[c]! * (x[i]! - mean)) / Math.sqrt(variance + EPS) + beta[c]!;
      }
    }
  }
  return y;
}

function loss64(theta: Float64Array, r: Float64Array): number {
  const y = forward64(theta.subarray(0, NX), theta.subarray(NX, NX + C), theta.subarray(NX + C));
  let total = 0;
  for (let i = 0; i < NX; i++) total += r[i]! * y[i]! * y[i]!;
  return total;
}

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

describe('groupNorm', () => {
  beforeAll(async () => {
    await initBackend();
  });

  // Inputs far from standardized and γ, β away from 1, 0, so every term matters.
  const theta = Float64Array.from([...draw(NX, 1, 3, 2), ...draw(C, 2, 0.5, 1), ...draw(C, 3, 0.5)]);
  const r = draw(NX, 4);
  const v = draw(theta.length, 5);

  /**
   * The layer's L = Σ r ⊙ y² as a function of [x, γ, β], where γ and β are the layer's own variables
   * (passed as the very tensors the layer reads, so tfjs differentiates through them).
   */
  function setUp(gn: ReturnType<typeof groupNorm>): {
    xs: tf.Tensor[];
    loss: () => tf.Scalar;
    dispose: () => void;
  } {
    const [gammaP, betaP] = gn.parameters();
    const gammaV = gammaP?.variable as tf.Variable;
    const betaV = betaP?.variable as tf.Variable;
    tf.tidy(() => {
      gammaV.assign(tf.tensor1d(Float32Array.from(theta.subarray(NX, NX + C))));
      betaV.assign(tf.tensor1d(Float32Array.from(theta.subarray(NX + C))));
    });
    const x = tf.tensor(Float32Array.from(theta.subarray(0, NX)), SHAPE);
    const rt = tf.tensor(Float32Array.from(r), SHAPE);
    return {
      xs: [x, gammaV, betaV],
      loss: () => tf.sum(tf.mul(rt, tf.square(gn.apply(x)))),
      dispose: () => tf.dispose([x, rt]),
    };
  }

  function flat(ts: readonly tf.Tensor[]): number[] {
    return ts.flatMap((t) => Array.from(t.dataSync()));
  }

  it('closed form: [1, 2, 3, 4] in 2 groups → ±1/√(1/4 + ε) per pair', () => {
    const before = tf.memory().numTensors;
    const gn = groupNorm({ size: 4, groups: 2, epsilon: 0 });
    tf.tidy(() => {
      // group {1, 2}: mean 1.5, variance 1/4, so x̂ = ±0.5/0.5 = ±1; the same for {3, 4}
      const y = gn.apply(tf.tensor2d([[1, 2, 3, 4]])).dataSync();
      expect(Array.from(y)).toEqual([-1, 1, -1, 1]);
    });
    gn.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('forward matches the float64 loop reference (rank 4, 2 groups), the same in training and inference', () => {
    const before = tf.memory().numTensors;
    const gn = groupNorm({ size: C, groups: G, epsilon: EPS });
    const [gammaP, betaP] = gn.parameters();
    const gamma = theta.subarray(NX, NX + C);
    const beta = theta.subarray(NX + C);
    tf.tidy(() => {
      gammaP?.variable.assign(tf.tensor1d(Float32Array.from(gamma)));
      betaP?.variable.assign(tf.tensor1d(Float32Array.from(beta)));
      const x = tf.tensor(Float32Array.from(theta.subarray(0, NX)), SHAPE);
      const expected = forward64(theta.subarray(0, NX), gamma, beta);
      const yInf = gn.apply(x).dataSync();
      const yTrain = gn.apply(x, { training: true, tap: (_n, t) => t }).dataSync();
      expect(relErr(yInf, expected)).toBeLessThan(1e-6);
      expect(Array.from(yTrain)).toEqual(Array.from(yInf));
      // examples are normalized independently: the first example alone gives the same rows
      const first = gn.apply(tf.slice(x, [0], [1])).dataSync();
      expect(Array.from(first)).toEqual(Array.from(yInf.slice(0, S * C)));
    });
    expect(gn.parameters().map((p) => [p.name, p.role])).toEqual([
      ['norm.gamma', 'norm'],
      ['norm.beta', 'norm'],
    ]);
    gn.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gradient in x, γ and β matches float64 central differences (relative 1e-5)', () => {
    const before = tf.memory().numTensors;
    const gn = groupNorm({ size: C, groups: G, epsilon: EPS });
    const expected = grad64(theta, r);
    const { xs, loss, dispose } = setUp(gn);
    const got = tf.tidy(() => flat(tf.grads(() => loss())(xs)));
    expect(relErr(got, expected)).toBeLessThan(1e-5);
    dispose();
    gn.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('Hessian-vector product (double backprop) matches float64 differences of the gradient (relative 1e-4)', () => {
    const before = tf.memory().numTensors;
    const gn = groupNorm({ size: C, groups: G, epsilon: EPS });
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
    const { xs, loss, dispose } = setUp(gn);
    const got = tf.tidy(() => {
      // v split like θ = [x, γ, β]
      const vs = [
        tf.tensor(Float32Array.from(v.subarray(0, NX)), SHAPE),
        tf.tensor1d(Float32Array.from(v.subarray(NX, NX + C))),
        tf.tensor1d(Float32Array.from(v.subarray(NX + C))),
      ];
      const gradDotV = (): tf.Scalar =>
        tf.addN(
          tf
            .grads(() => loss())(xs)
            .map((g, i) => tf.sum(tf.mul(g, vs[i] as tf.Tensor))),
        ) as tf.Scalar;
      return flat(tf.grads(() => gradDotV())(xs));
    });
    expect(relErr(got, expected)).toBeLessThan(1e-4);
    dispose();
    gn.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('bad input: InvalidArgumentError before any tensor; ShapeError from apply', () => {
    const before = tf.memory().numTensors;
    const cases: [() => unknown, RegExp][] = [
      [
        () => groupNorm({ size: 6, groups: 4 }),
        /^groupNorm: options\.groups must divide options\.size = 6, got 4$/,
      ],
      [
        () => groupNorm({ size: 6, groups: 0 }),
        /^groupNorm: options\.groups must be a positive integer, got 0$/,
      ],
      [
        () => groupNorm({ size: 0, groups: 1 }),
        /^groupNorm: options\.size must be a positive integer, got 0$/,
      ],
      [
        () => groupNorm({ size: 4, groups: 2, epsilon: -1 }),
        /^groupNorm: options\.epsilon must be a finite number ≥ 0, got -1$/,
      ],
    ];
    for (const [f, re] of cases) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(GflowError);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toMatch(re);
    }
    expect(tf.memory().numTensors).toBe(before);
    const gn = groupNorm({ size: 4, groups: 2 });
    const x = tf.zeros([2, 3]);
    const empty = tf.zeros([2, 0, 4]);
    const mid = tf.memory().numTensors;
    expect(() => gn.apply(x)).toThrow(ShapeError);
    expect(() => gn.apply(x)).toThrow(/^norm\.apply: x must have shape \[any, 4\], got \[2, 3\]$/);
    expect(() => gn.apply(empty)).toThrow(
      /^norm\.apply: x must have no axis of length 0, got shape \[2, 0, 4\]$/,
    );
    expect(tf.memory().numTensors).toBe(mid);
    tf.dispose([x, empty]);
    gn.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
