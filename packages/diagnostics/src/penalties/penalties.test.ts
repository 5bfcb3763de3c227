import { readFileSync } from 'node:fs';
import { initBackend } from '@gflow/backend';
import { InvalidArgumentError, NonFiniteError, ShapeError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { close } from '../test-utils/tiny.js';
import { frobeniusPenalty } from './frobenius-penalty.js';
import { nuclearNormPenalty } from './nuclear-norm-penalty.js';
import { spectralPenalty } from './spectral-penalty.js';

beforeAll(async () => {
  await initBackend();
});

/** numpy float64 values and central-difference gradients, made by fixtures/make-toolbox-fixtures.py. */
const fixtures: {
  penalties: Record<
    string,
    {
      matrix: number[][];
      lambda: number;
      target: number;
      sigma: number[];
      spectral: { value: number; grad: number[][] };
      nuclear: { value: number; grad: number[][] };
      frobenius: { value: number; grad: number[][] };
    }
  >;
} = JSON.parse(readFileSync(new URL('../../fixtures/toolbox-fixtures.json', import.meta.url), 'utf8'));

/** Value and gradient of a penalty at W, through tf.valueAndGrad (what training does). */
function valueAndGrad(f: (w: tf.Tensor) => tf.Scalar, w: number[][]): { value: number; grad: number[] } {
  return tf.tidy(() => {
    const x = tf.tensor2d(w);
    const { value, grad } = tf.valueAndGrad(f)(x);
    return { value: value.dataSync()[0] as number, grad: Array.from(grad.dataSync()) };
  });
}

describe('penalties on closed forms', () => {
  // W = diag(3, −2, 0.5): σ = (3, 2, 0.5), U = I, V = diag(1, −1, 1) (so that UΣVᵀ = W).
  const W = [
    [3, 0, 0],
    [0, -2, 0],
    [0, 0, 0.5],
  ];
  it('spectral hinge: λ(σ₁ − t)² with gradient 2λ(σ₁ − t)·u₁v₁ᵀ; 0 below the target', () => {
    const before = tf.memory().numTensors;
    // λ = 0.5, t = 1: value 0.5·2² = 2; gradient 2·0.5·2·e₁e₁ᵀ = 2·e₁e₁ᵀ.
    const r = valueAndGrad((w) => spectralPenalty(w, { target: 1, lambda: 0.5 }), W);
    expect(r.value).toBeCloseTo(2, 5);
    expect(close(r.grad, [2, 0, 0, 0, 0, 0, 0, 0, 0], 1e-6)).toBe(true);
    // t = 3.5 > σ₁: 0 and a zero gradient.
    const z = valueAndGrad((w) => spectralPenalty(w, { target: 3.5 }), W);
    expect(z.value).toBe(0);
    expect(z.grad).toEqual(new Array(9).fill(0));
    expect(tf.memory().numTensors).toBe(before);
  });
  it('nuclear norm: Σσ with gradient UVᵀ; for an orthogonal Q, ‖Q‖_* = n and UVᵀ = Q', () => {
    const before = tf.memory().numTensors;
    const r = valueAndGrad((w) => nuclearNormPenalty(w), W);
    expect(r.value).toBeCloseTo(5.5, 5);
    expect(close(r.grad, [1, 0, 0, 0, -1, 0, 0, 0, 1], 1e-6)).toBe(true);
    // A rotation by 0.3 scaled by λ = 2: value 2·2 = 4, gradient 2Q (the polar factor of Q is Q).
    const c = Math.cos(0.3);
    const s = Math.sin(0.3);
    const q = valueAndGrad(
      (w) => nuclearNormPenalty(w, { lambda: 2 }),
      [
        [c, -s],
        [s, c],
      ],
    );
    expect(q.value).toBeCloseTo(4, 5);
    expect(close(q.grad, [2 * c, -2 * s, 2 * s, 2 * c], 1e-6)).toBe(true);
    // Rank one, W = a bᵀ with a = (1, 2), b = (2, 0, 1): ‖W‖_* = ‖a‖‖b‖ = 5, gradient (a/‖a‖)(b/‖b‖)ᵀ.
    const r1 = valueAndGrad(
      (w) => nuclearNormPenalty(w),
      [
        [2, 0, 1],
        [4, 0, 2],
      ],
    );
    expect(r1.value).toBeCloseTo(5, 5);
    expect(close(r1.grad, [2 / 5, 0, 1 / 5, 4 / 5, 0, 2 / 5], 1e-6)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });
  it('Frobenius: λΣW² with gradient 2λW, at every magnitude', () => {
    const before = tf.memory().numTensors;
    const r = valueAndGrad((w) => frobeniusPenalty(w, { lambda: 0.1 }), W);
    // 0.1·(9 + 4 + 0.25) = 1.325.
    expect(r.value).toBeCloseTo(1.325, 6);
    expect(close(r.grad, [0.6, 0, 0, 0, -0.4, 0, 0, 0, 0.1], 1e-7)).toBe(true);
    // Tiny weights: the gradient 2W is exact (relative 1e-6) where the squares underflow.
    const tiny = valueAndGrad((w) => frobeniusPenalty(w), [[1e-30, -3e-30]]);
    expect(close(tiny.grad, [2e-30, -6e-30], 0, 1e-6)).toBe(true);
    // Huge weights: +Infinity where ΣW² exceeds float32's range, never NaN.
    const huge = valueAndGrad((w) => frobeniusPenalty(w), [[3e19, 1]]);
    expect(huge.value).toBe(Number.POSITIVE_INFINITY);
    expect(close(huge.grad, [6e19, 2], 0, 1e-6)).toBe(true);
    // Any rank.
    const t = tf.tensor3d([1, 2, 3, 4], [1, 2, 2]);
    const p = frobeniusPenalty(t);
    expect(p.dataSync()[0]).toBe(30);
    tf.dispose([t, p]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('penalty gradients against float64 finite differences', () => {
  it('2×2: the spectral hinge against the closed form σ₁² = (F + √(F² − 4det²))/2, differenced in float64', () => {
    const before = tf.memory().numTensors;
    const W = [
      [1.2, -0.7],
      [0.4, 2.1],
    ];
    const lambda = 0.8;
    const target = 1.5;
    const penalty = (a: number, b: number, c: number, d: number) => {
      const F = a * a + b * b + c * c + d * d;
      const det = a * d - b * c;
      const s1 = Math.sqrt((F + Math.sqrt(F * F - 4 * det * det)) / 2);
      return lambda * Math.max(0, s1 - target) ** 2;
    };
    const x = W.flat();
    const h = 1e-6;
    const fd = x.map((_, i) => {
      const p = x.slice();
      const m = x.slice();
      p[i]! += h;
      m[i]! -= h;
      return (
        (penalty(...(p as [number, number, number, number])) -
          penalty(...(m as [number, number, number, number]))) /
        (2 * h)
      );
    });
    const r = valueAndGrad((w) => spectralPenalty(w, { target, lambda }), W);
    expect(Math.abs(r.value - penalty(...(x as [number, number, number, number])))).toBeLessThanOrEqual(1e-6);
    // float32 gradient vs float64 differences (truncation error O(h²) ≈ 1e-12): 1e-6.
    expect(close(r.grad, fd, 1e-6)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('5×4 and 6×6: all three penalties against numpy (values, and central differences of numpy’s SVD)', () => {
    const before = tf.memory().numTensors;
    for (const [name, c] of Object.entries(fixtures.penalties)) {
      const cases = [
        [
          'spectral',
          (w: tf.Tensor) => spectralPenalty(w, { target: c.target, lambda: c.lambda }),
          c.spectral,
        ],
        ['nuclear', (w: tf.Tensor) => nuclearNormPenalty(w), c.nuclear],
        ['frobenius', (w: tf.Tensor) => frobeniusPenalty(w), c.frobenius],
      ] as const;
      for (const [kind, f, want] of cases) {
        const r = valueAndGrad(f, c.matrix);
        const label = `${name} ${kind}`;
        // float32 inputs and device sums: 2e-6 relative in value, 2e-6 of the largest entry in the gradient.
        expect(Math.abs(r.value - want.value), label).toBeLessThanOrEqual(2e-6 * Math.abs(want.value) + 1e-7);
        const g = want.grad.flat();
        const scale = Math.max(...g.map(Math.abs));
        expect(close(r.grad, g, 2e-6 * scale), label).toBe(true);
      }
      // Active hinge in both cases (σ₁ above its target), so the spectral test is not vacuous.
      expect(c.sigma[0]!).toBeGreaterThan(c.target);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('second derivatives: Frobenius Hessian 2λI; spectral with the singular pair held fixed', () => {
    const before = tf.memory().numTensors;
    const W = tf.tensor2d([
      [3, 0],
      [0, 1],
    ]);
    const V = tf.tensor2d([
      [0.5, -1],
      [2, 0.25],
    ]);
    const hvp = (f: (w: tf.Tensor) => tf.Scalar) =>
      tf.tidy(() =>
        Array.from(
          tf
            .grad((w: tf.Tensor) => tf.sum(tf.mul(tf.grad(f)(w), V)) as tf.Scalar)(W)
            .dataSync(),
        ),
      );
    // ∇²(λ‖W‖²)·V = 2λV.
    expect(
      close(
        hvp((w) => frobeniusPenalty(w, { lambda: 0.3 })),
        [0.3, -0.6, 1.2, 0.15],
        1e-6,
      ),
    ).toBe(true);
    // λ(⟨W, e₁e₁ᵀ⟩ − t)²: ∇²·V = 2λ⟨e₁e₁ᵀ, V⟩·e₁e₁ᵀ = 2·1·0.5·e₁e₁ᵀ (λ = 1).
    expect(
      close(
        hvp((w) => spectralPenalty(w, { target: 1 })),
        [1, 0, 0, 0],
        1e-6,
      ),
    ).toBe(true);
    tf.dispose([W, V]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('works on variables inside tf.variableGrads, adding to a loss', () => {
    const before = tf.memory().numTensors;
    const v = tf.tidy(() =>
      tf.variable(
        tf.tensor2d([
          [2, 0],
          [0, 0.5],
        ]),
        true,
        `pen.${Math.random().toString(36).slice(2)}`,
      ),
    );
    const { value, grads } = tf.variableGrads(
      () =>
        tf.addN([spectralPenalty(v, { target: 1 }), nuclearNormPenalty(v), frobeniusPenalty(v)]) as tf.Scalar,
      [v],
    );
    // (2 − 1)² + 2.5 + 4.25 = 7.75; gradient 2·e₁e₁ᵀ + I + 2W = [[2 + 1 + 4, 0], [0, 1 + 1]].
    expect(value.dataSync()[0]).toBeCloseTo(7.75, 5);
    expect(close(grads[v.name]!.dataSync(), [7, 0, 0, 2], 1e-6)).toBe(true);
    tf.dispose([value, ...Object.values(grads)]);
    v.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('penalties on bad input', () => {
  it('throws GflowErrors naming the function and argument', () => {
    const before = tf.memory().numTensors;
    const v = tf.tensor1d([1, 2]);
    const nan = tf.tensor2d([[1, Number.NaN]]);
    const ints = tf.tensor2d([[1, 2]], [1, 2], 'int32');
    const empty = tf.zeros([0, 3]);
    const ok = tf.tensor2d([[1, 2]]);
    expect(() => spectralPenalty(v, { target: 1 })).toThrow(ShapeError);
    expect(() => nuclearNormPenalty(v)).toThrow(
      /nuclearNormPenalty: weight must be a 2-D matrix, got shape \[2\]/,
    );
    expect(() => spectralPenalty(nan, { target: 1 })).toThrow(NonFiniteError);
    expect(() => nuclearNormPenalty(nan)).toThrow(
      /nuclearNormPenalty: weight must be finite, got 1 NaN or ±Infinity entries/,
    );
    expect(() => frobeniusPenalty(ints)).toThrow(/frobeniusPenalty: weight must be float32, got int32/);
    expect(() => frobeniusPenalty(empty)).toThrow(
      /frobeniusPenalty: weight must have at least one entry, got shape \[0,3\]/,
    );
    expect(() => frobeniusPenalty([1, 2] as never)).toThrow(InvalidArgumentError);
    expect(() => spectralPenalty(ok, { target: -1 })).toThrow(
      /spectralPenalty: options.target must be a finite number ≥ 0, got -1/,
    );
    expect(() => spectralPenalty(ok, {} as never)).toThrow(/options.target must be a finite number/);
    expect(() => nuclearNormPenalty(ok, { lambda: Number.NaN })).toThrow(
      /nuclearNormPenalty: options.lambda must be a finite number ≥ 0, got NaN/,
    );
    expect(() => spectralPenalty(ok, null as never)).toThrow(
      /spectralPenalty: options must be an object, got null/,
    );
    tf.dispose([v, nan, ints, empty, ok]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
