import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { nuclearNorm, singularValues } from '../singular-values.js';
import { spectralNorm } from '../spectral-norm.js';
import { expectAllClose, expectClose, randomMatrix } from '../test-utils/helpers.js';
import { bidiagonalSingularValues, golubKahanSingularValues } from './golub-kahan-svd.js';

/** numpy's singular values (LAPACK gesdd) for the matrices made by fixtures/make-svd-fixtures.py. */
const svdFixtures: {
  cases: Record<string, { matrix: number[][]; singularValues: number[]; kappa: number | null }>;
} = JSON.parse(readFileSync(new URL('../../fixtures/svd-fixtures.json', import.meta.url), 'utf8'));

const EPS = Number.EPSILON; // 2⁻⁵²

describe('Golub–Kahan singular values', () => {
  it('agree with numpy on square, tall, wide, rank-deficient, graded, scaled and tiny matrices', () => {
    for (const [name, c] of Object.entries(svdFixtures.cases)) {
      const m = c.matrix.length;
      const n = c.matrix[0]!.length;
      const expected = c.singularValues;
      const smax = expected[0]!;
      const got = singularValues(c.matrix);
      expect(got.length, name).toBe(Math.min(m, n));
      // Every value: absolute error ≤ 4·max(m, n)·ε·σ_max (backward stability of the Householder
      // bidiagonalization; observed ≤ 7.5·ε·σ_max, on square48), plus 8 subnormal units
      // (Number.MIN_VALUE = 2⁻¹⁰⁷⁴) for the subnormal case, where ε·σ_max itself underflows.
      expectAllClose(got, expected, 4 * Math.max(m, n) * EPS * smax + 8 * Number.MIN_VALUE);
      // Well-conditioned cases (κ ≤ 10) in the normal range: every value to 1e-14 relative as well
      // (observed ≤ 1.3e-15).
      if (c.kappa !== null && c.kappa <= 10 && smax > 1e-300) expectAllClose(got, expected, 0, 1e-14);
      // The typed-array path gives the same numbers.
      const typed = { rows: m, cols: n, data: Float64Array.from(c.matrix.flat()) };
      expect(singularValues(typed), name).toEqual(got);
    }
  });

  it('keep high relative accuracy on a bidiagonal graded over 30 decades (Demmel–Kahan)', () => {
    const c = svdFixtures.cases.bidiagonalGraded10!;
    // σ from 1 down to 1e-30: each to 1e-14 relative (observed 2.9e-16), which no method with only
    // absolute accuracy ε·σ_max could give for the small ones.
    expectAllClose(singularValues(c.matrix), c.singularValues, 0, 1e-14);
  });

  it('match closed forms', () => {
    // Upper bidiagonal with ones on the diagonal and superdiagonal (n = 20): BᵀB = tridiag(1, [1, 2, …, 2], 1)
    // has eigenvalues 4cos²(kπ/(2n+1)), so σ_k = 2cos(kπ/(2n + 1)), k = 1..n.
    const n = 20;
    const d = new Float64Array(n).fill(1);
    const e = new Float64Array(n - 1).fill(1);
    bidiagonalSingularValues('test', d, e);
    const s = Array.from(d).sort((a, b) => b - a);
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
    expectClose(big[1]!, Math.SQRT1_2, 0, 4 * EPS);
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

  it('agree with ml-matrix (JAMA SVD), keep ‖A‖_F² = Σσ², and ignore transposition (property)', () => {
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
          const s = Array.from(
            golubKahanSingularValues('test', { rows: m, cols: n, data: Float64Array.from(a.flat()) }),
          );
          expect(s.length).toBe(Math.min(m, n));
          for (let i = 1; i < s.length; i++) expect(s[i]!).toBeLessThanOrEqual(s[i - 1]!);
          expect(s[s.length - 1]!).toBeGreaterThanOrEqual(0);
          const atol = 8 * Math.max(m, n) * EPS * s[0]!;
          const jama = new SingularValueDecomposition(new Matrix(a), {
            computeLeftSingularVectors: false,
            computeRightSingularVectors: false,
            autoTranspose: true,
          }).diagonal.sort((x, y) => y - x);
          expectAllClose(s, jama, atol);
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
