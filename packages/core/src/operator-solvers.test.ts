import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eigenvalues } from './eigenvalues.js';
import { gaussQuadrature } from './gauss-quadrature.js';
import { lanczos } from './lanczos.js';
import { powerIteration } from './power-iteration.js';
import { expectAllClose, expectClose, fixtures, nestedMatvec, randomMatrix } from './test-utils/helpers.js';

function symmetric(n: number, seed: number): number[][] {
  const g = randomMatrix(n, n, seed);
  return g.map((row, i) => row.map((x, j) => (x + g[j]![i]!) / 2));
}

describe('powerIteration', () => {
  it('finds the dominant eigenpair of [[2, 1], [1, 3]] ((5 + √5)/2)', () => {
    const r = powerIteration(
      nestedMatvec([
        [2, 1],
        [1, 3],
      ]),
      2,
      { tol: 1e-12 },
    );
    expect(r.converged).toBe(true);
    expectClose(r.value, (5 + Math.sqrt(5)) / 2, 1e-12);
    // Eigenvector ∝ (1, (1 + √5)/2).
    expectClose(Math.abs(r.vector[1]! / r.vector[0]!), (1 + Math.sqrt(5)) / 2, 1e-6);
  });

  it('returns the signed eigenvalue of largest modulus, and deflates to the next one', () => {
    const d = [-5, 3, 1, 0.5];
    const mv = (v: Float64Array): Float64Array => v.map((x, i) => d[i]! * x);
    const r = powerIteration(mv, 4, { tol: 1e-12, maxIter: 5000 });
    expectClose(r.value, -5, 1e-10);
    const r2 = powerIteration(mv, 4, { tol: 1e-12, maxIter: 5000, deflate: [r.vector] });
    expectClose(r2.value, 3, 1e-9);
  });

  it('agrees with the exact eigenvalues of the fixture matrix (numpy eigvals)', () => {
    const f = fixtures.linalg.sym6;
    const exact = Math.max(...f.eigRe.map(Math.abs));
    const signed = f.eigRe.find((x: number) => Math.abs(x) === exact);
    const r = powerIteration(nestedMatvec(f.matrix), 6, { tol: 1e-13, maxIter: 100_000 });
    expectClose(r.value, signed, 1e-9, 1e-9);
  });

  it('reports non-convergence instead of a wrong answer (±λ pair)', () => {
    const r = powerIteration((v) => Float64Array.of(v[0]!, -v[1]!), 2, { maxIter: 50 });
    expect(r.converged).toBe(false);
    expect(r.iterations).toBe(50);
  });

  it('rejects bad input', () => {
    expect(() => powerIteration((v) => v, 0)).toThrow(/powerIteration: dim must be an integer ≥ 1, got 0/);
    expect(() => powerIteration(() => new Float64Array(3), 2)).toThrow(
      /powerIteration: matvec must return a Float64Array of length 2, got length 3/,
    );
    expect(() => powerIteration(() => Float64Array.of(Number.NaN, 0), 2)).toThrow(
      /powerIteration: matvec must return finite values/,
    );
    expect(() => powerIteration((v) => v, 2, { tol: -1 })).toThrow(
      /powerIteration: options\.tol must be > 0, got -1/,
    );
  });
});

describe('lanczos', () => {
  it('recovers a diagonal spectrum exactly with steps = n', () => {
    const d = [1, 2, 3, 4];
    const r = lanczos((v) => v.map((x, i) => d[i]! * x), 4, { steps: 4 });
    expect(r.steps).toBe(4);
    expect(r.beta.length).toBe(3);
    expectAllClose(r.ritzValues, d, 1e-12);
    // Ritz vectors are eigenvectors: ‖A y − θ y‖ small.
    r.ritzVectors.forEach((y, k) => {
      const res = Math.hypot(...Array.from(y, (x, i) => d[i]! * x - r.ritzValues[k]! * x));
      expect(res).toBeLessThan(1e-10);
    });
  });

  it('without reorthogonalization matches the reorthogonalized run before orthogonality is lost', () => {
    // Orthogonality decays only as Ritz values converge (Paige 1972); for 8 steps on a spread-out
    // spectrum both runs produce the same tridiagonal to rounding.
    const d = Array.from({ length: 40 }, (_, i) => (i + 1) ** 1.5);
    const mv = (v: Float64Array): Float64Array => v.map((x, i) => d[i]! * x);
    const a = lanczos(mv, 40, { steps: 8, reorthogonalize: false, seed: 5 });
    const b = lanczos(mv, 40, { steps: 8, reorthogonalize: true, seed: 5 });
    expectAllClose(a.alpha, b.alpha, 1e-8, 1e-10);
    expectAllClose(a.beta, b.beta, 1e-8, 1e-10);
    expectAllClose(a.ritzValues, b.ritzValues, 1e-8, 1e-10);
  });

  it('stops early at an invariant subspace', () => {
    const d = [2, 2, 2, 7, 7];
    const r = lanczos((v) => v.map((x, i) => d[i]! * x), 5, { steps: 5 });
    expect(r.steps).toBe(2);
    expectAllClose(r.ritzValues, [2, 7], 1e-12);
  });

  it('extreme Ritz values agree with the exact eigenvalues (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), (seed) => {
        const n = 30;
        const a = symmetric(n, seed);
        const exact = eigenvalues(a).re;
        const r = lanczos(nestedMatvec(a), n, { steps: n, seed });
        expectClose(r.ritzValues[r.steps - 1]!, exact[0]!, 1e-9, 1e-9);
        expectClose(r.ritzValues[0]!, exact[n - 1]!, 1e-9, 1e-9);
        const p = powerIteration(nestedMatvec(a), n, { tol: 1e-10, maxIter: 200_000, seed });
        const dominant = Math.abs(exact[0]!) >= Math.abs(exact[n - 1]!) ? exact[0]! : exact[n - 1]!;
        if (p.converged) expectClose(p.value, dominant, 1e-8, 1e-8);
      }),
      { seed: 3, numRuns: 15 },
    );
  });

  it('rejects bad input', () => {
    expect(() => lanczos((v) => v, 3, { steps: 4 })).toThrow(
      /lanczos: options\.steps must be an integer in \[1, 3\], got 4/,
    );
    expect(() => lanczos((v) => v, 3, { init: new Float64Array(3) })).toThrow(
      /lanczos: options\.init must be a finite nonzero vector, got norm 0/,
    );
  });
});

describe('gaussQuadrature', () => {
  it('gives the two-point rule of tridiag(1, 0, 1): nodes ±1, weights ½', () => {
    const { nodes, weights } = gaussQuadrature([0, 0], [1]);
    expectAllClose(nodes, [-1, 1], 1e-15);
    expectAllClose(weights, [0.5, 0.5], 1e-15);
  });

  it('reproduces vᵀ f(A) v exactly from a full Lanczos run (stochastic Lanczos quadrature)', () => {
    const d = [0.5, 1, 2, 3, 5, 8];
    const v = Float64Array.from([1, 2, 3, 4, 5, 6]);
    const nv = Math.hypot(...v);
    const r = lanczos((x) => x.map((y, i) => d[i]! * y), 6, { steps: 6, init: v });
    const { nodes, weights } = gaussQuadrature(r.alpha, r.beta);
    expectClose(
      weights.reduce((s, w) => s + w, 0),
      1,
      1e-14,
    );
    // vᵀ log(A) v / ‖v‖² = Σ v_i² ln d_i / ‖v‖².
    const exact = d.reduce((s, di, i) => s + (v[i]! / nv) ** 2 * Math.log(di), 0);
    const quad = nodes.reduce((s, x, k) => s + weights[k]! * Math.log(x), 0);
    expectClose(quad, exact, 1e-12);
  });

  it('rejects mismatched lengths', () => {
    expect(() => gaussQuadrature([1, 2], [1, 2])).toThrow(
      /gaussQuadrature: beta must have length alpha\.length − 1 = 1, got length 2/,
    );
    expect(() => gaussQuadrature([1, Number.NaN], [1])).toThrow(
      /gaussQuadrature: alpha must have finite entries, got NaN at index 1/,
    );
  });
});
