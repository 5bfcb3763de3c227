import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hessianSpectralDensity } from './hessian-spectral-density.js';
import { Random } from './internal/random.js';
import { diagPlusRankOne, type Quadratic, quadratic } from './test-utils/quadratic.js';

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
    // One run: no spread can be estimated, and none is claimed.
    expect(r.densityStandardError).toBeNull();
    expect(r.traceStandardError).toBeNull();
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('reports the probe-sampling error: the spread of the runs, against closed forms', () => {
    // H = diag(d) + u uᵀ, 9 steps = the dimension, so each run's Gauss rule is exact: nodes λ_k,
    // weights (e_k · v)² / 9 for the probe v, trace term vᵀHv. Probes: Random(seed), in order.
    const d = [1, 2, 3, 0.5, -1, 4, 2, 1, 0.25];
    const u = [1, -2, 1.5, 0.4, 0, 2, -1, 0.5, 0.3];
    const A = diagPlusRankOne(d, u);
    const other = quadratic(A, new Array(9).fill(0), THETA);
    try {
      const R = 5;
      const sigma = 0.3;
      const r = hessianSpectralDensity(other.lossFn, other.params, {
        steps: 9,
        runs: R,
        seed: 7,
        sigma,
        gridPoints: 200,
      });
      const rng = new Random(7);
      const probes = Array.from({ length: R }, () => rng.rademacherVector(9));
      const eig = new EigenvalueDecomposition(new Matrix(A), { assumeSymmetric: true });
      const lambda = eig.realEigenvalues;
      const E = eig.eigenvectorMatrix;
      const terms = probes.map((v) =>
        A.reduce((s, row, i) => s + v[i]! * row.reduce((t, a, j) => t + a * v[j]!, 0), 0),
      );
      const mean = terms.reduce((a, b) => a + b, 0) / R;
      const se = Math.sqrt(terms.reduce((a, t) => a + (t - mean) ** 2, 0) / (R - 1) / R);
      expect(r.traceEstimate).toBeCloseTo(mean, 4);
      expect(r.traceStandardError).toBeCloseTo(se, 4);
      expect(se).toBeGreaterThan(0.1);
      const g = (x: number) => Math.exp(-0.5 * (x / sigma) ** 2) / (sigma * Math.sqrt(2 * Math.PI));
      let peak = 0;
      let worst = 0;
      r.grid.forEach((t, i) => {
        const per = probes.map((v) =>
          lambda.reduce((s, l, k) => {
            let c = 0;
            for (let j = 0; j < 9; j++) c += E.get(j, k) * v[j]!;
            return s + ((c * c) / 9) * g(t - l);
          }, 0),
        );
        const m = per.reduce((a, b) => a + b, 0) / R;
        const want = Math.sqrt(per.reduce((a, p) => a + (p - m) ** 2, 0) / (R - 1) / R);
        peak = Math.max(peak, m);
        worst = Math.max(worst, Math.abs(r.densityStandardError![i]! - want));
      });
      expect(worst / peak).toBeLessThan(1e-4);
      expect(Math.max(...r.densityStandardError!)).toBeGreaterThan(1e-3 * peak);
    } finally {
      other.dispose();
    }
  });

  it('a diagonal Hessian has no probe spread: every Rademacher probe gives the same rule', () => {
    const r = hessianSpectralDensity(q.lossFn, q.params, { steps: 9, runs: 3, seed: 2, gridPoints: 50 });
    expect(Math.max(...r.densityStandardError!)).toBeLessThan(1e-6 * Math.max(...r.density));
    expect(r.traceStandardError).toBeLessThan(1e-4);
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
