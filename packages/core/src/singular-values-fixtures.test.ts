import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nuclearNorm, singularValues } from './singular-values.js';
import { spectralNorm } from './spectral-norm.js';
import { expectAllClose, expectClose, randomMatrix } from './test-utils/helpers.js';

/** numpy's singular values (LAPACK gesdd) for the matrices made by fixtures/make-svd-fixtures.py. */
const svdFixtures: {
  cases: Record<string, { matrix: number[][]; singularValues: number[]; kappa: number | null }>;
} = JSON.parse(readFileSync(new URL('../fixtures/svd-fixtures.json', import.meta.url), 'utf8'));

const EPS = Number.EPSILON; // 2⁻⁵²

// `singularValues` is ml-matrix's SVD (JAMA's Golub–Kahan bidiagonalization and shifted QR) behind
// an exact power-of-two scaling; these tests hold it to numpy's LAPACK values.
describe('singular values (ml-matrix SVD) against numpy and closed forms', () => {
  it('agree with numpy on square, tall, wide, rank-deficient, graded, scaled and tiny matrices', () => {
    for (const [name, c] of Object.entries(svdFixtures.cases)) {
      const m = c.matrix.length;
      const n = c.matrix[0]!.length;
      const expected = c.singularValues;
      const smax = expected[0]!;
      const got = singularValues(c.matrix);
      expect(got.length, name).toBe(Math.min(m, n));
      // Every value: absolute error ≤ 4·max(m, n)·ε·σ_max (backward stability of the Householder
      // bidiagonalization; observed ≤ 10.9·ε·σ_max with ml-matrix, on square48), plus 8 subnormal units
      // (Number.MIN_VALUE = 2⁻¹⁰⁷⁴) for the subnormal case, where ε·σ_max itself underflows.
      expectAllClose(got, expected, 4 * Math.max(m, n) * EPS * smax + 8 * Number.MIN_VALUE);
      // Well-conditioned cases (κ ≤ 10) in the normal range: every value to 1e-14 relative as well
      // (observed ≤ 2.0e-15).
      if (c.kappa !== null && c.kappa <= 10 && smax > 1e-300) expectAllClose(got, expected, 0, 1e-14);
      // The typed-array path gives the same numbers.
      const typed = { rows: m, cols: n, data: Float64Array.from(c.matrix.flat()) };
      expect(singularValues(typed), name).toEqual(got);
    }
  });

  it('keep high relative accuracy on a bidiagonal graded over 30 decades', () => {
    const c = svdFixtures.cases.bidiagonalGraded10!;
    // σ from 1 down to 1e-30: each to 1e-14 relative (observed 4.1e-16), which no method with only
    // absolute accuracy ε·σ_max could give for the small ones.
    expectAllClose(singularValues(c.matrix), c.singularValues, 0, 1e-14);
  });

  it('match closed forms', () => {
    // Upper bidiagonal with ones on the diagonal and superdiagonal (n = 20): BᵀB = tridiag(1, [1, 2, …, 2], 1)
    // has eigenvalues 4cos²(kπ/(2n+1)), so σ_k = 2cos(kπ/(2n + 1)), k = 1..n.
    const n = 20;
    const bidiagonal = Array.from({ length: n }, (_, i) =>
      Array.from({ length: n }, (_, j) => (j === i || j === i + 1 ? 1 : 0)),
    );
    const s = singularValues(bidiagonal);
    const exact = Array.from({ length: n }, (_, k) => 2 * Math.cos(((k + 1) * Math.PI) / (2 * n + 1)));
    expectAllClose(s, exact, 0, 1e-14);
    // [[a, 1], [0, a]] with a = 1e-8: σ_max·σ_min = |det| = a² and σ_max² = (1 + 2a² + √(1 + 4a²))/2
    // = 1 + 2a² + O(a⁴), so σ_max = 1 + 1e-16 (1 in double precision) and σ_min = a²/σ_max = 1e-16·(1 − 1e-16).
    const two = singularValues([
      [1e-8, 1],
      [0, 1e-8],
    ]);
    expectClose(two[0]!, 1, 0, 2 * EPS);
    expectClose(two[1]!, 1e-16, 0, 4 * EPS);
    // Zero matrix, 1×1, and a diagonal with a zero: |entries|, sorted.
    expect(
      singularValues([
        [0, 0, 0],
        [0, 0, 0],
      ]),
    ).toEqual([0, 0]);
    expect(singularValues([[-3]])).toEqual([3]);
    expectAllClose(
      singularValues([
        [0, 0, 0],
        [0, -5, 0],
        [0, 0, 2],
      ]),
      [5, 2, 0],
      0,
    );
    // Overflow is reported, not hidden: [[M, M], [0, 1]] with M = Number.MAX_VALUE has
    // σ_max ≈ √2·M > M (Infinity in double precision) and σ_min = |det|/σ_max = M/(√2·M) = 1/√2.
    const big = singularValues([
      [Number.MAX_VALUE, Number.MAX_VALUE],
      [0, 1],
    ]);
    expect(big[0]).toBe(Number.POSITIVE_INFINITY);
    // σ_min is only guaranteed to absolute accuracy ~ε·σ_max (≈ 1e292 here): finite and ≥ 0.
    expect(Number.isFinite(big[1]!) && big[1]! >= 0).toBe(true);
  });

  it('raise NonFiniteError for NaN or Infinity instead of returning NaN', () => {
    expect(() => singularValues([[1, Number.NaN]])).toThrow(
      /singularValues: A must have finite entries, got NaN at \[0, 1\]/,
    );
    expect(() =>
      nuclearNorm({ rows: 2, cols: 1, data: Float64Array.of(1, Number.POSITIVE_INFINITY) }),
    ).toThrow(/nuclearNorm: A must have finite entries, got Infinity at \[1, 0\]/);
    expect(() => spectralNorm([[Number.NEGATIVE_INFINITY, 1]], { method: 'exact' })).toThrow(
      /spectralNorm: A must have finite entries, got -Infinity at \[0, 0\]/,
    );
  });

  it('square to the eigenvalues of AᵀA, keep ‖A‖_F² = Σσ², and ignore transposition (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 14 }),
        fc.integer({ min: 1, max: 14 }),
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: 0, max: 3 }),
        (m, n, seed, rankCut) => {
          // A random matrix, with rankCut of its rows repeated to make it rank-deficient.
          const a = randomMatrix(m, n, seed);
          for (let i = 0; i < Math.min(rankCut, m - 1); i++) a[m - 1 - i] = [...a[0]!];
          const s = singularValues({ rows: m, cols: n, data: Float64Array.from(a.flat()) });
          expect(s.length).toBe(Math.min(m, n));
          for (let i = 1; i < s.length; i++) expect(s[i]!).toBeLessThanOrEqual(s[i - 1]!);
          expect(s[s.length - 1]!).toBeGreaterThanOrEqual(0);
          const atol = 8 * Math.max(m, n) * EPS * s[0]!;
          // σ_i² are the top eigenvalues of AᵀA (computed here by cyclic Jacobi, written in the
          // test): |σ_i² − λ_i| ≤ c·n·ε·σ_max².
          const lambda = jacobiEigenvalues(gram(a, m, n)).slice(0, s.length);
          expectAllClose(
            s.map((x) => x * x),
            lambda,
            16 * Math.max(m, n) * EPS * s[0]! * s[0]!,
          );
          const fro2 = a.flat().reduce((t, x) => t + x * x, 0);
          expectClose(
            s.reduce((t, x) => t + x * x, 0),
            fro2,
            0,
            1e-13,
          );
          const at = Array.from({ length: n }, (_, j) => a.map((row) => row[j]!));
          expectAllClose(singularValues(at), s, atol);
        },
      ),
      { seed: 3, numRuns: 150 },
    );
  });
});

/** AᵀA of an m×n matrix given as rows. */
function gram(a: number[][], m: number, n: number): number[][] {
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => {
      let t = 0;
      for (let k = 0; k < m; k++) t += a[k]![i]! * a[k]![j]!;
      return t;
    }),
  );
}

/** Eigenvalues of a symmetric matrix by cyclic Jacobi rotations (Golub & Van Loan §8.5), descending. */
function jacobiEigenvalues(input: number[][]): number[] {
  const n = input.length;
  const a = input.map((r) => [...r]);
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p]![q]! ** 2;
    if (off < 1e-40) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p]![q]!;
        if (apq === 0) continue;
        const theta = (a[q]![q]! - a[p]![p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const sn = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k]![p]!;
          const akq = a[k]![q]!;
          a[k]![p] = c * akp - sn * akq;
          a[k]![q] = sn * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p]![k]!;
          const aqk = a[q]![k]!;
          a[p]![k] = c * apk - sn * aqk;
          a[q]![k] = sn * apk + c * aqk;
        }
      }
    }
  }
  return a.map((r, i) => r[i]!).sort((x, y) => y - x);
}
