import { initBackend } from '@gflow/backend';
import { GflowError, InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../internal/rng.js';
import { weightNorm } from './weight-norm.js';

// An independent float64 reference: w_ij = g_j·v_ij/‖v_{:,j}‖, y = x·w + b, L = Σ r ⊙ y², in
// plain loops; derivatives by central differences of it.
const B = 3;
const IN = 4;
const OUT = 3;
const NX = B * IN;
const NV = IN * OUT;
// θ = [x, v, g, b]
const OFF_V = NX;
const OFF_G = NX + NV;
const OFF_B = NX + NV + OUT;
const NTHETA = OFF_B + OUT;

function forward64(theta: ArrayLike<number>): Float64Array {
  const w = new Float64Array(NV);
  for (let j = 0; j < OUT; j++) {
    let sq = 0;
    for (let i = 0; i < IN; i++) sq += theta[OFF_V + i * OUT + j]! ** 2;
    const norm = Math.sqrt(sq);
    for (let i = 0; i < IN; i++) w[i * OUT + j] = (theta[OFF_G + j]! * theta[OFF_V + i * OUT + j]!) / norm;
  }
  const y = new Float64Array(B * OUT);
  for (let n = 0; n < B; n++)
    for (let j = 0; j < OUT; j++) {
      let s = theta[OFF_B + j]!;
      for (let i = 0; i < IN; i++) s += theta[n * IN + i]! * w[i * OUT + j]!;
      y[n * OUT + j] = s;
    }
  return y;
}

function loss64(theta: Float64Array, r: Float64Array): number {
  const y = forward64(theta);
  let total = 0;
  for (let i = 0; i < y.length; i++) total += r[i]! * y[i]! * y[i]!;
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

function flat(ts: readonly tf.Tensor[]): number[] {
  return ts.flatMap((t) => Array.from(t.dataSync()));
}

describe('weightNorm', () => {
  beforeAll(async () => {
    await initBackend();
  });

  const theta = Float64Array.from([
    ...draw(NX, 1),
    ...draw(NV, 2),
    ...draw(OUT, 3, 0.5, 1.5),
    ...draw(OUT, 4, 0.5),
  ]);
  const r = draw(B * OUT, 5);
  const dir = draw(NTHETA, 6);

  /** The layer with v, g, b set from θ, and L = Σ r ⊙ y² as a function of [x, v, g, b]. */
  function setUp(): {
    layer: ReturnType<typeof weightNorm>;
    xs: tf.Tensor[];
    loss: () => tf.Scalar;
    dispose: () => void;
  } {
    const layer = weightNorm({ inputSize: IN, outputSize: OUT });
    const [vP, gP, bP] = layer.parameters().map((p) => p.variable);
    tf.tidy(() => {
      vP?.assign(tf.tensor2d(Float32Array.from(theta.subarray(OFF_V, OFF_G)), [IN, OUT]));
      gP?.assign(tf.tensor1d(Float32Array.from(theta.subarray(OFF_G, OFF_B))));
      bP?.assign(tf.tensor1d(Float32Array.from(theta.subarray(OFF_B))));
    });
    const x = tf.tensor2d(Float32Array.from(theta.subarray(0, NX)), [B, IN]);
    const rt = tf.tensor2d(Float32Array.from(r), [B, OUT]);
    return {
      layer,
      xs: [x, vP as tf.Variable, gP as tf.Variable, bP as tf.Variable],
      loss: () => tf.sum(tf.mul(rt, tf.square(layer.apply(x)))),
      dispose: () => {
        tf.dispose([x, rt]);
        layer.dispose();
      },
    };
  }

  it('forward matches the float64 reference w = g·v/‖v‖, y = x·w + b (relative 1e-6)', () => {
    const before = tf.memory().numTensors;
    const { layer, xs, dispose } = setUp();
    const y = tf.tidy(() => layer.apply(xs[0] as tf.Tensor).dataSync());
    expect(relErr(y, forward64(theta))).toBeLessThan(1e-6);
    expect(layer.parameters().map((p) => [p.name, p.role, p.variable.shape])).toEqual([
      ['dense.v', 'kernel', [IN, OUT]],
      ['dense.g', 'norm', [OUT]],
      ['dense.bias', 'bias', [OUT]],
    ]);
    dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('g starts at ‖v_{:,j}‖, so the layer starts as x·v + b', () => {
    const before = tf.memory().numTensors;
    const layer = weightNorm({ inputSize: IN, outputSize: OUT, seed: 3, init: 'he', bias: false });
    const [vP, gP] = layer.parameters().map((p) => p.variable);
    const v = (vP as tf.Variable).dataSync();
    const g = (gP as tf.Variable).dataSync();
    for (let j = 0; j < OUT; j++) {
      let sq = 0;
      for (let i = 0; i < IN; i++) sq += (v[i * OUT + j] as number) ** 2;
      expect(g[j]).toBeCloseTo(Math.sqrt(sq), 6);
    }
    tf.tidy(() => {
      const x = tf.tensor2d(Float32Array.from(theta.subarray(0, NX)), [B, IN]);
      const expected = tf.matMul(x, vP as tf.Tensor2D).dataSync();
      expect(relErr(layer.apply(x).dataSync(), expected)).toBeLessThan(1e-6);
    });
    layer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('‖v‖ is computed without float32 underflow or overflow: v·1e-30 and v·1e25 give the same y', () => {
    const before = tf.memory().numTensors;
    const { layer, xs, dispose } = setUp();
    const vP = xs[1] as tf.Variable;
    const y0 = tf.tidy(() => layer.apply(xs[0] as tf.Tensor).dataSync());
    for (const scale of [1e-30, 1e25]) {
      // a naive √Σv² is 0 (Σv² ≈ 1e-60) or ∞ (Σv² ≈ 1e50) in float32 at these scales
      tf.tidy(() =>
        vP.assign(
          tf.tensor2d(
            Float32Array.from(theta.subarray(OFF_V, OFF_G), (t) => t * scale),
            [IN, OUT],
          ),
        ),
      );
      const y = tf.tidy(() => layer.apply(xs[0] as tf.Tensor).dataSync());
      expect(relErr(y, y0)).toBeLessThan(1e-6);
    }
    dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gradient in x, v, g and b matches float64 central differences (relative 1e-5)', () => {
    const before = tf.memory().numTensors;
    const { xs, loss, dispose } = setUp();
    const expected = grad64(theta, r);
    const got = tf.tidy(() => flat(tf.grads(() => loss())(xs)));
    expect(relErr(got, expected)).toBeLessThan(1e-5);
    dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('Hessian-vector product (double backprop) matches float64 differences of the gradient (relative 1e-4)', () => {
    const before = tf.memory().numTensors;
    const h = 1e-4;
    const up = grad64(
      theta.map((t, i) => t + h * dir[i]!),
      r,
      1e-5,
    );
    const down = grad64(
      theta.map((t, i) => t - h * dir[i]!),
      r,
      1e-5,
    );
    const expected = up.map((u, i) => (u - down[i]!) / (2 * h));
    const { xs, loss, dispose } = setUp();
    const got = tf.tidy(() => {
      const vs = [
        tf.tensor2d(Float32Array.from(dir.subarray(0, NX)), [B, IN]),
        tf.tensor2d(Float32Array.from(dir.subarray(OFF_V, OFF_G)), [IN, OUT]),
        tf.tensor1d(Float32Array.from(dir.subarray(OFF_G, OFF_B))),
        tf.tensor1d(Float32Array.from(dir.subarray(OFF_B))),
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
    expect(tf.memory().numTensors).toBe(before);
  });

  it('bad input: InvalidArgumentError before any tensor', () => {
    const before = tf.memory().numTensors;
    const cases: [() => unknown, RegExp][] = [
      [
        () => weightNorm({ inputSize: 2, outputSize: 2, init: 'zeros' }),
        /^weightNorm: options\.init must give every column of v a finite non-zero norm \(w = g·v\/‖v‖\), got ‖v_\{:,0\}‖ = 0$/,
      ],
      [
        () => weightNorm({ inputSize: 0, outputSize: 2 }),
        /^weightNorm: options\.inputSize must be a positive integer, got 0$/,
      ],
      [
        () => weightNorm({ inputSize: 2, outputSize: 2, init: 'glorot' as never }),
        /^weightNorm: options\.init must be one of/,
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
  });
});
