import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NonFiniteError, ShapeError } from './errors.js';
import { singularValueDecomposition } from './singular-value-decomposition.js';

/** numpy's singular values (LAPACK gesdd) for the matrices made by fixtures/make-svd-fixtures.py. */
const svdFixtures: {
  cases: Record<string, { matrix: number[][]; singularValues: number[]; kappa: number | null }>;
} = JSON.parse(readFileSync(new URL('../fixtures/svd-fixtures.json', import.meta.url), 'utf8'));

const EPS = Number.EPSILON;

describe('singularValueDecomposition', () => {
  it('reproduces numpy’s singular values, and U·diag(s)·Vᵀ = A with orthonormal U and V', () => {
    for (const [name, c] of Object.entries(svdFixtures.cases)) {
      const A = c.matrix;
      const m = A.length;
      const n = A[0]!.length;
      const k = Math.min(m, n);
      const { u, s, v } = singularValueDecomposition(A);
      const smax = c.singularValues[0]!;
      const tol = 8 * Math.max(m, n) * EPS * smax + 8 * Number.MIN_VALUE;
      expect(s.length, name).toBe(k);
      s.forEach((x, i) => {
        expect(Math.abs(x - c.singularValues[i]!), name).toBeLessThanOrEqual(tol);
      });
      // Reconstruction: max |A − U diag(s) Vᵀ| ≤ c·max(m, n)·ε·σ_max (backward stability).
      let err = 0;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let x = 0;
          for (let l = 0; l < k; l++) x += u.data[i * k + l]! * s[l]! * v.data[j * k + l]!;
          err = Math.max(err, Math.abs(x - A[i]![j]!));
        }
      }
      expect(err, name).toBeLessThanOrEqual(tol);
      // Orthonormal columns: |UᵀU − I|, |VᵀV − I| ≤ 8·max(m, n)·ε.
      for (const [M, rows] of [
        [u, m],
        [v, n],
      ] as const) {
        for (let a = 0; a < k; a++) {
          for (let b = 0; b < k; b++) {
            let x = 0;
            for (let i = 0; i < rows; i++) x += M.data[i * k + a]! * M.data[i * k + b]!;
            expect(Math.abs(x - (a === b ? 1 : 0)), name).toBeLessThanOrEqual(8 * Math.max(m, n) * EPS);
          }
        }
      }
    }
  });
  it('a diagonal matrix: the sorted |entries|, unit vectors with paired signs; zero: zeros and identity columns', () => {
    const { u, s, v } = singularValueDecomposition([
      [1, 0, 0],
      [0, -3, 0],
    ]);
    expect(s).toEqual([3, 1]);
    // σ_1 = 3 with u_1 = ±e_2 (in R²), v_1 = ±e_2 (in R³), u_1·3·v_1ᵀ reproducing −3 at (1, 1).
    expect(Math.abs(u.data[1 * 2 + 0]!)).toBe(1);
    expect(u.data[1 * 2 + 0]! * 3 * v.data[1 * 2 + 0]!).toBe(-3);
    const z = singularValueDecomposition([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    expect(z.s).toEqual([0, 0]);
    expect(Array.from(z.u.data)).toEqual([1, 0, 0, 1, 0, 0]);
    expect(Array.from(z.v.data)).toEqual([1, 0, 0, 1]);
  });
  it('rejects malformed input', () => {
    expect(() => singularValueDecomposition([])).toThrow(ShapeError);
    expect(() => singularValueDecomposition([[1, Number.NaN]])).toThrow(NonFiniteError);
  });
});
