/**
 * The thin singular value decomposition with vectors.
 *
 * @module
 */
import { SingularValueDecomposition } from 'ml-matrix';
import { ConvergenceError } from './errors.js';
import { toDense, toMl } from './internal/matrix.js';
import type { DenseMatrix, MatrixLike } from './matrix-like.js';

/** The thin SVD A = U·diag(s)·Vᵀ of an m×n matrix, with k = min(m, n). */
export interface SingularValueDecompositionResult {
  /** The left singular vectors as columns, m×k (orthonormal columns). */
  readonly u: DenseMatrix;
  /** The singular values σ_1 ≥ … ≥ σ_k ≥ 0. */
  readonly s: readonly number[];
  /** The right singular vectors as columns, n×k (orthonormal columns). */
  readonly v: DenseMatrix;
}

/**
 * The thin singular value decomposition A = U·diag(σ)·Vᵀ, σ descending, in float64.
 *
 * ml-matrix's Golub–Kahan SVD (JAMA's algorithm) after scaling A by the power of two nearest below
 * its largest |entry| (exact), so entries anywhere in the double range are handled; the values
 * are scaled back. Singular vectors of a repeated or zero singular value are any orthonormal
 * basis of their subspace (as in LAPACK). The input is never mutated.
 *
 * @param A - A matrix (`number[][]` or `{ rows, cols, data }`).
 * @returns `{ u, s, v }`: U (m×k), the k = min(m, n) singular values, V (n×k).
 * @throws ShapeError for a ragged or empty matrix; NonFiniteError for NaN/±Infinity entries;
 *   ConvergenceError when the decomposition returns NaN.
 * @example
 * ```ts
 * import { singularValueDecomposition } from '@gflow/core';
 * const { u, s, v } = singularValueDecomposition([[3, 0], [0, -2]]);
 * // s = [3, 2]; u = [[1, 0], [0, ±1]], v = [[1, 0], [0, ∓1]] (signs pair up so that U·diag(s)·Vᵀ = A)
 * ```
 * @see Golub & Kahan (1965), "Calculating the singular values and pseudo-inverse of a matrix";
 *   Golub & Van Loan, Matrix Computations §8.6.
 */
export function singularValueDecomposition(A: MatrixLike): SingularValueDecompositionResult {
  const fn = 'singularValueDecomposition';
  const m = toDense(fn, 'A', A);
  const k = Math.min(m.rows, m.cols);
  let largest = 0;
  for (let i = 0; i < m.data.length; i++) largest = Math.max(largest, Math.abs(m.data[i]!));
  if (largest === 0) {
    // A = 0: σ = 0, and the leading columns of the identities as vectors.
    const eye = (n: number) => {
      const d = new Float64Array(n * k);
      for (let i = 0; i < k; i++) d[i * k + i] = 1;
      return { rows: n, cols: k, data: d };
    };
    return { u: eye(m.rows), s: new Array<number>(k).fill(0), v: eye(m.cols) };
  }
  const e = Math.min(Math.floor(Math.log2(largest)), 1023);
  const up = e < -1000 ? 2 ** -1000 : 1;
  const scale = 2 ** (e < -1000 ? e + 1000 : e);
  const scaled = { rows: m.rows, cols: m.cols, data: m.data.map((x) => x / up / scale) };
  const svd = new SingularValueDecomposition(toMl(scaled), {
    computeLeftSingularVectors: true,
    computeRightSingularVectors: true,
    autoTranspose: true,
  });
  const d = svd.diagonal;
  const U = svd.leftSingularVectors;
  const V = svd.rightSingularVectors;
  const order = Array.from({ length: k }, (_, i) => i).sort((a, b) => Math.abs(d[b]!) - Math.abs(d[a]!));
  const u = new Float64Array(m.rows * k);
  const v = new Float64Array(m.cols * k);
  const s: number[] = [];
  order.forEach((src, col) => {
    const x = d[src]!;
    // A negative diagonal entry (none in JAMA, but cheap to allow) flips the sign of v.
    const sign = x < 0 ? -1 : 1;
    s.push(Math.abs(x) * scale * up);
    for (let i = 0; i < m.rows; i++) u[i * k + col] = U.get(i, src);
    for (let j = 0; j < m.cols; j++) v[j * k + col] = sign * V.get(j, src);
  });
  if (s.some(Number.isNaN) || u.some(Number.isNaN) || v.some(Number.isNaN)) {
    throw new ConvergenceError(`${fn}: the decomposition must be finite, got NaN from ml-matrix's SVD`);
  }
  return { u: { rows: m.rows, cols: k, data: u }, s, v: { rows: m.cols, cols: k, data: v } };
}
