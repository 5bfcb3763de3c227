import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hessianTrace } from './hessian-trace.js';
import { bits } from './test-utils/models.js';
import { diagPlusRankOne, type Quadratic, quadratic } from './test-utils/quadratic.js';

const THETA = [0.5, -1, 0.25, 2, 0.75, -0.5, 1, 0.1, -0.2];
let q: Quadratic | undefined;
let before: number;
beforeAll(async () => {
  await initBackend();
});
beforeEach(() => {
  before = tf.memory().numTensors;
});
afterEach(() => {
  q?.dispose();
  q = undefined;
  expect(tf.memory().numTensors).toBe(before);
});

describe('hessianTrace', () => {
  it('is exact on a diagonal Hessian (zᵀDz = tr D for every Rademacher z), with zero spread', () => {
    const d = [5, -3, 2, 1, 0.5, 0.25, 4, -1, 0.1];
    q = quadratic(
      d.map((x, i) => d.map((_, j) => (i === j ? x : 0))),
      new Array(9).fill(0),
      THETA,
    );
    const r = hessianTrace(q.lossFn, q.params, { samples: 10 });
    expect(r.trace).toBeCloseTo(8.85, 4);
    expect(r.standardError).toBeLessThan(1e-4);
    expect(r.estimates).toHaveLength(10);
    expect(r.hessianVectorProducts).toBe(10);
    expect(r.converged).toBeNull();
    expect(r.tol).toBeNull();
    // With a tol the spread (0) meets it as soon as the 10 terms it is judged by are in.
    const t = hessianTrace(q.lossFn, q.params, { samples: 100, tol: 1e-3 });
    expect(t.converged).toBe(true);
    expect(t.hessianVectorProducts).toBe(10);
  });

  it('with tol: stops once the standard error is at most tol·|trace|, and that error is the true spread', () => {
    // H = diag(d) + u uᵀ: tr H = Σd + ‖u‖², and one Rademacher term zᵀHz has variance
    // 2 Σ_{i≠j} H_ij² = 2 Σ_{i≠j} u_i² u_j² (closed forms).
    const d = [1, 2, 3, 0.5, -1, 4, 2, 1, 0.25];
    const u = [1, -2, 1.5, 0.4, 0, 2, -1, 0.5, 0.3];
    q = quadratic(diagPlusRankOne(d, u), new Array(9).fill(0), THETA);
    const exact = d.reduce((a, b) => a + b, 0) + u.reduce((a, b) => a + b * b, 0);
    let off = 0;
    for (let i = 0; i < 9; i++) for (let j = 0; j < 9; j++) if (i !== j) off += u[i]! ** 2 * u[j]! ** 2;
    const r = hessianTrace(q.lossFn, q.params, { samples: 5000, tol: 0.03, seed: 3 });
    expect(r.converged).toBe(true);
    expect(r.tol).toBe(0.03);
    expect(r.standardError).toBeLessThanOrEqual(0.03 * Math.abs(r.trace));
    expect(r.relativeStandardError).toBeCloseTo(r.standardError / Math.abs(r.trace), 12);
    const n = r.estimates.length;
    expect(n).toBeGreaterThanOrEqual(10);
    expect(n).toBeLessThan(5000);
    expect(r.hessianVectorProducts).toBe(n);
    expect(Math.abs(r.trace - exact)).toBeLessThan(4 * r.standardError);
    // The reported error against the closed-form one for the same n: the sample variance of n
    // terms is within a factor 2 of the true one with overwhelming probability for n ≥ 10.
    const theory = Math.sqrt((2 * off) / n);
    expect(r.standardError / theory).toBeGreaterThan(0.5);
    expect(r.standardError / theory).toBeLessThan(2);
  });

  it('a tol the samples cannot meet is reported unconverged with the error reached, never relaxed', () => {
    const d = [1, 2, 3, 0.5, -1, 4, 2, 1, 0.25];
    const u = [1, -2, 1.5, 0.4, 0, 2, -1, 0.5, 0.3];
    q = quadratic(diagPlusRankOne(d, u), new Array(9).fill(0), THETA);
    const r = hessianTrace(q.lossFn, q.params, { samples: 40, tol: 1e-6, seed: 3 });
    expect(r.converged).toBe(false);
    expect(r.tol).toBe(1e-6);
    expect(r.estimates).toHaveLength(40);
    expect(r.relativeStandardError).toBeGreaterThan(1e-6);
    expect(r.standardError).toBeGreaterThan(0);
  });

  it('Hutchinson: unbiased within its standard error; Hutch++: exact once samples ≥ 3 · rank', () => {
    // H = diag(d) + u uᵀ, tr H = Σd + ‖u‖².
    const d = [1, 2, 3, 0.5, -1, 4, 2, 1, 0.25];
    const u = [1, -2, 1.5, 0.4, 0, 2, -1, 0.5, 0.3];
    q = quadratic(diagPlusRankOne(d, u), new Array(9).fill(0), THETA);
    const snapshot = bits({ name: 'q', parameters: () => q!.params, apply: (x) => x });
    const exact = d.reduce((a, b) => a + b, 0) + u.reduce((a, b) => a + b * b, 0);
    const h = hessianTrace(q.lossFn, q.params, { samples: 400, seed: 1 });
    expect(Math.abs(h.trace - exact)).toBeLessThan(4 * h.standardError);
    expect(h.standardError).toBeGreaterThan(0);
    const pp = hessianTrace(q.lossFn, q.params, { method: 'hutch++', samples: 30 });
    expect(pp.sketch?.rank).toBe(9);
    expect(pp.standardError).toBe(0);
    expect(pp.trace).toBeCloseTo(exact, 4);
    expect(hessianTrace(q.lossFn, q.params, { method: 'hutch++', samples: 30, tol: 1e-9 }).converged).toBe(
      true,
    );
    // With fewer products Hutch++ still beats Hutchinson's spread on this low-rank-dominated H.
    const small = hessianTrace(q.lossFn, q.params, { method: 'hutch++', samples: 12, seed: 2 });
    const plain = hessianTrace(q.lossFn, q.params, { samples: 12, seed: 2 });
    expect(small.standardError).toBeLessThan(plain.standardError);
    expect(bits({ name: 'q', parameters: () => q!.params, apply: (x) => x })).toEqual(snapshot);
    expect(JSON.parse(JSON.stringify(h))).toEqual(h);
  });

  it('rejects bad options', () => {
    q = quadratic(diagPlusRankOne(new Array(9).fill(1), new Array(9).fill(0)), new Array(9).fill(0), THETA);
    expect(() => hessianTrace(q!.lossFn, q!.params, { samples: 1 })).toThrow(
      /hessianTrace: options.samples must be an integer ≥ 2, got 1/,
    );
    expect(() => hessianTrace(q!.lossFn, q!.params, { method: 'hutch++', samples: 5 })).toThrow(
      /must be an integer ≥ 6, got 5/,
    );
    expect(() => hessianTrace(q!.lossFn, q!.params, { tol: 0 })).toThrow(
      /hessianTrace: options.tol must be a positive finite number, got 0/,
    );
    expect(() => hessianTrace(q!.lossFn, q!.params, { method: 'xtrace' as never })).toThrow(
      /options.method must be 'hutchinson' or 'hutch\+\+'/,
    );
  });
});
