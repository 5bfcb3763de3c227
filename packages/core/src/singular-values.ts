/**
 * Singular values and the quantities built from all of them.
 *
 * @module
 */
import { denseSingularValues } from './internal/dense.js';
import { toDense } from './internal/matrix.js';
import type { MatrixLike } from './matrix-like.js';

/**
 * All min(m, n) singular values of A, in descending order: σ_i(A) = √λ_i(AᵀA).
 *
 * Computed without forming AᵀA: Householder bidiagonalization (Golub & Kahan 1965), then the
 * singular values of the bidiagonal to high relative accuracy by the Demmel–Kahan implicit QR
 * iteration (LAPACK dbdsqr's algorithm), so every σ_i is accurate to a small multiple of ε·σ_max
 * (backward stability of the bidiagonalization). The matrix is scaled by a power of two first, so
 * entries anywhere in the double range (subnormal to Number.MAX_VALUE) are handled; a σ above
 * Number.MAX_VALUE comes back as Infinity. The input is never mutated.
 *
 * @param A - A matrix (`number[][]` or `{ rows, cols, data }`).
 * @returns The singular values, descending, as a plain array.
 * @throws ShapeError for a ragged or empty matrix; NonFiniteError for NaN/±Infinity entries;
 * ConvergenceError if the bidiagonal QR iteration does not converge in 6·n² steps (LAPACK's limit).
 * @example
 * ```ts
 * import { singularValues } from '@gflow/core';
 * singularValues([[1, 2], [3, 4]]); // [√(15 + √221), √(15 − √221)] ≈ [5.4650, 0.3660]
 * ```
 * @see Golub & Kahan (1965), "Calculating the singular values and pseudo-inverse of a matrix".
 * @see Demmel & Kahan (1990), "Accurate singular values of bidiagonal matrices".
 */
export function singularValues(A: MatrixLike): number[] {
  return denseSingularValues(toDense('singularValues', 'A', A));
}

/**
 * The 2-norm condition number κ(A) = σ_max/σ_min over the min(m, n) singular values.
 *
 * Returns Infinity when A is singular to working precision, i.e. σ_min ≤ max(m, n)·ε·σ_max
 * (numpy's `matrix_rank` tolerance), and for the zero matrix.
 *
 * @param A - A matrix.
 * @returns κ(A) ≥ 1, or Infinity.
 * @throws ShapeError / NonFiniteError for malformed input.
 * @example
 * ```ts
 * import { conditionNumber } from '@gflow/core';
 * conditionNumber([[2, 0], [0, 0.5]]); // 4
 * conditionNumber([[1, 1], [1, 1]]); // Infinity
 * ```
 * @see Pascanu, Mikolov & Bengio (2013), who relate ill-conditioned recurrent Jacobians to exploding gradients.
 */
export function conditionNumber(A: MatrixLike): number {
  const m = toDense('conditionNumber', 'A', A);
  const s = denseSingularValues(m, 'conditionNumber');
  const max = s[0]!;
  const min = s[s.length - 1]!;
  if (max === 0 || min <= Math.max(m.rows, m.cols) * Number.EPSILON * max) return Number.POSITIVE_INFINITY;
  return max / min;
}

/**
 * The nuclear (trace) norm ‖A‖_* = Σ_i σ_i(A).
 *
 * @param A - A matrix.
 * @returns The sum of the singular values.
 * @throws ShapeError / NonFiniteError for malformed input.
 * @example
 * ```ts
 * import { nuclearNorm } from '@gflow/core';
 * nuclearNorm([[3, 0], [0, -4]]); // 7
 * ```
 * @see Fazel (2002), "Matrix rank minimization with applications" (the nuclear norm as convex rank surrogate).
 */
export function nuclearNorm(A: MatrixLike): number {
  return denseSingularValues(toDense('nuclearNorm', 'A', A), 'nuclearNorm').reduce((a, b) => a + b, 0);
}
