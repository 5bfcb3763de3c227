import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hessianSpectralDensity } from './hessian-spectral-density.js';
import { Random } from './internal/random.js';
import { type Quadratic, quadratic } from './test-utils/quadratic.js';

// H = diag(d): with 9 Lanczos steps the Gauss rule's nodes are the eigenvalues and its weights
// are v_i² / ‖v‖² = 1/9 for a Rademacher probe v.
const D = [5, -3, 2, 1, 0.5, 0.25, 4, -1, 0.1];
const THETA = [0.5, -1, 0.25, 2, 0.75, -0.5, 1, 0.1, -0.2];
let q: Quadratic;
let before: number;
beforeAll(async () => {
  await initBackend();
});
beforeEach(() => {
  q = quadratic(
    D.map((x, i) => D.map((_, j) => (i === j ? x : 0))),
    new Array(9).fill(0),
    THETA,
  );
  before = tf.memory().numTensors;
});
afterEach(() => {
  expect(tf.memory().numTensors).toBe(before);
  q.dispose();
});

describe('hessianSpectralDensity', () => {
  it('recovers the eigenvalues with equal weights and a normalized Gaussian density', () => {
    const sigma = 0.05;
    const r = hessianSpectralDensity(q.lossFn, q.params, {
      steps: 20,
      sigma,
      gridPoints: 2001,
      range: [-4, 6],
    });
    expect(r.steps).toEqual([9]); // capped at the parameter count
    const nodes = r.runs[0]!.nodes;
    expect(nodes.map((x) => Number(x.toFixed(4)))).toEqual([...D].sort((a, b) => a - b));
    r.runs[0]!.weights.forEach((w) => {
      expect(w).toBeCloseTo(1 / 9, 5);
    });
    // φ(t) = (1/9) Σ_i g_σ(t − λ_i).
    r.grid.forEach((t, i) => {
      const want =
        D.reduce((s, l) => s + Math.exp(-0.5 * ((t - l) / sigma) ** 2), 0) /
        (9 * sigma * Math.sqrt(2 * Math.PI));
      expect(Math.abs(r.density[i]! - want)).toBeLessThan(1e-3 * (1 / (9 * sigma * Math.sqrt(2 * Math.PI))));
    });
    const dt = r.grid[1]! - r.grid[0]!;
    expect(r.density.reduce((a, b) => a + b, 0) * dt).toBeCloseTo(1, 4);
    expect(r.traceEstimate).toBeCloseTo(8.85, 4);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('uses seeded Rademacher probes, one per run', () => {
    const a = hessianSpectralDensity(q.lossFn, q.params, { steps: 3, runs: 2, seed: 4, gridPoints: 10 });
    const b = hessianSpectralDensity(q.lossFn, q.params, { steps: 3, runs: 2, seed: 4, gridPoints: 10 });
    expect(a).toEqual(b);
    expect(a.runs).toHaveLength(2);
    // With 3 steps the first node-weight moment is the Rayleigh quotient vᵀHv / vᵀv of the probe.
    const v = new Random(4).rademacherVector(9);
    const rq = D.reduce((s, d, i) => s + d * v[i]! * v[i]!, 0) / 9;
    const m1 = a.runs[0]!.nodes.reduce((s, t, j) => s + t * a.runs[0]!.weights[j]!, 0);
    expect(m1).toBeCloseTo(rq, 5);
  });

  it('rejects bad options', () => {
    expect(() => hessianSpectralDensity(q.lossFn, q.params, { runs: 0 })).toThrow(
      /hessianSpectralDensity: options.runs must be an integer ≥ 1, got 0/,
    );
    expect(() => hessianSpectralDensity(q.lossFn, q.params, { sigma: -1 })).toThrow(
      /options.sigma must be a positive finite number/,
    );
    expect(() => hessianSpectralDensity(q.lossFn, q.params, { range: [2, 1] })).toThrow(
      /options.range must be \[lo, hi\]/,
    );
  });
});
