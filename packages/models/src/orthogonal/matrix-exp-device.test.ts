import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { gradCheck, seededNormal } from '../test-utils/gradcheck.js';
import { type ExpGradientPath, matrixExpOp } from './matrix-exp.js';

/**
 * The device path of matrixExp's gradient (float32 tensor ops, no read of ∂L/∂exp(A)), forced on
 * Node's engine, against the float64 host path, a closed form and central finite differences.
 *
 * Tolerance: 2e-6 of max|∂L/∂A|. Both results are float32 tensors (the host path's float64 is
 * rounded once: u = 2⁻²⁴ ≈ 6e-8); the device path also rounds in its m + 2s matrix products of
 * size n (m ≤ 10 Taylor terms, s squarings, each of which can double the error already made).
 * Measured on Node's engine: at most 2.6e-7 (n = 16, ‖A‖₁ = 27.5, s = 6), so 2e-6 leaves a margin of
 * about 8 while still failing for an error of a few float32 digits (a wrong term or scaling gives
 * errors of order 1e-2 and above).
 */
const TOL = 2e-6;

/** ∂/∂x Σ G ∘ exp(x) (or exp(x − xᵀ) with `skew`), on the given gradient path, as float64. */
function gradOf(x: tf.Tensor2D, g: tf.Tensor2D, skew: boolean, path: ExpGradientPath): Float64Array {
  const dx = tf.tidy(() =>
    tf.grad((v: tf.Tensor) => tf.sum(tf.mul(matrixExpOp('test', 'x', v as tf.Tensor2D, skew, path), g)))(x),
  );
  const out = Float64Array.from(dx.dataSync());
  dx.dispose();
  return out;
}

/** max |a − b| / max |b|. */
function relDiff(a: Float64Array, b: Float64Array): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
    s = Math.max(s, Math.abs(b[i] as number));
  }
  return d / s;
}

describe('matrixExp gradient on the device path', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('matches the closed form of a 2×2 rotation (skew generator)', () => {
    // P = [[0, θ], [0, 0]]: A = P − Pᵀ, exp(A) = [[cos θ, sin θ], [−sin θ, cos θ]], so
    // ∂L/∂P₀₁ = −∂L/∂P₁₀ = Σ G ∘ [[−sin θ, cos θ], [−cos θ, −sin θ]] and ∂L/∂P₀₀ = ∂L/∂P₁₁ = 0.
    const theta = 2.5;
    const gv = [0.3, -1.1, 0.7, 2.0];
    const want =
      (gv[0] as number) * -Math.sin(theta) +
      (gv[1] as number) * Math.cos(theta) -
      (gv[2] as number) * Math.cos(theta) -
      (gv[3] as number) * Math.sin(theta);
    const p = tf.tensor2d([0, theta, 0, 0], [2, 2]);
    const g = tf.tensor2d(gv, [2, 2]);
    const got = gradOf(p, g, true, 'device');
    tf.dispose([p, g]);
    expect(got[0]).toBeCloseTo(0, 6);
    expect(got[3]).toBeCloseTo(0, 6);
    // relative to Σ|G| (which bounds |∂L/∂θ|): G's entries are rounded to float32 on upload
    const bound = TOL * gv.reduce((acc, v) => acc + Math.abs(v), 0);
    expect(Math.abs((got[1] as number) - want)).toBeLessThan(bound);
    expect(Math.abs((got[2] as number) + want)).toBeLessThan(bound);
  });

  for (const [label, n, scale, skew, normA] of [
    ['general 5×5, ‖A‖₁ = 0.27 < 1/2 (no squaring)', 5, 0.05, false, 0.27],
    ['general 5×5, ‖A‖₁ = 5.5 (s = 4)', 5, 1, false, 5.48],
    ['skew 16×16 of a N(0, 1) generator, ‖A‖₁ = 27.5 (s = 6)', 16, 1, true, 27.5],
    ['skew 16×16, A = 0', 16, 0, true, 0],
  ] as const) {
    it(`matches the float64 host path within ${TOL} for G of every scale: ${label}`, () => {
      const before = tf.memory().numTensors;
      const x = tf.tidy(() => tf.mul(seededNormal([n, n], 3), scale) as tf.Tensor2D);
      const a = tf.tidy(() => (skew ? tf.sub(x, tf.transpose(x)) : x));
      const norm1 = tf.tidy(() => tf.max(tf.sum(tf.abs(a), 0)).dataSync()[0] as number);
      if (a !== x) a.dispose();
      expect(norm1).toBeCloseTo(normA, 1);
      for (const gScale of [1e-30, 1, 1e30]) {
        const g = tf.tidy(() => tf.mul(seededNormal([n, n], 4), gScale) as tf.Tensor2D);
        const host = gradOf(x, g, skew, 'host');
        const device = gradOf(x, g, skew, 'device');
        g.dispose();
        expect(host.every(Number.isFinite)).toBe(true);
        expect(relDiff(device, host)).toBeLessThan(TOL);
      }
      x.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('matches central finite differences (general input)', () => {
    const before = tf.memory().numTensors;
    const r = seededNormal([5, 5], 8);
    const v = tf.tidy(() => tf.variable(seededNormal([5, 5], 9, 0.4)));
    const { mismatches } = gradCheck(
      () => tf.sum(tf.mul(matrixExpOp('test', 'x', v as tf.Tensor2D, false, 'device'), r)),
      [{ name: 'a', variable: v }],
      { coords: 12, eps: 3e-3 },
    );
    expect(mismatches).toEqual([]);
    tf.dispose([v, r]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives a zero gradient for G = 0 and NaN (never a silent number) for a NaN in G', () => {
    const x = seededNormal([4, 4], 5) as tf.Tensor2D;
    const zero = tf.zeros([4, 4]) as tf.Tensor2D;
    expect(gradOf(x, zero, true, 'device').every((v) => v === 0)).toBe(true);
    const bad = tf.tensor2d([Number.NaN, ...new Array(15).fill(1)], [4, 4]);
    for (const path of ['device', 'host'] as const) {
      expect(gradOf(x, bad, false, path).some(Number.isNaN)).toBe(true);
    }
    tf.dispose([x, zero, bad]);
  });

  it('is a constant to a second differentiation, as the host path (a tensor of host values) is', () => {
    // f = Σ exp(x)², so ∂f/∂exp(x) = 2 exp(x) depends on x; neither path differentiates it again.
    const before = tf.memory().numTensors;
    const x = seededNormal([3, 3], 6, 0.3) as tf.Tensor2D;
    const r = seededNormal([3, 3], 7);
    const outer = tf.tidy(() =>
      tf.grad((v: tf.Tensor) => {
        const f = (w: tf.Tensor) =>
          tf.sum(tf.square(matrixExpOp('test', 'x', w as tf.Tensor2D, false, 'device')));
        return tf.sum(tf.mul(tf.grad(f)(v), r));
      })(x),
    );
    expect(Array.from(outer.dataSync()).every((v) => v === 0)).toBe(true);
    tf.dispose([outer, x, r]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
