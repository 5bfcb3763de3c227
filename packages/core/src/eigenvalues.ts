/**
 * Eigenvalues of square matrices (real or complex) and the spectral radius.
 *
 * @module
 */
import { denseEigenvalues } from './internal/dense.js';
import { requireSquare, toDense } from './internal/matrix.js';
import type { MatrixLike } from './matrix-like.js';

/** The eigenvalues of a square matrix as real and imaginary parts. */
export interface Eigenvalues {
  /** Real parts. */
  readonly re: number[];
  /** Imaginary parts (0 for real eigenvalues; conjugate pairs are adjacent, +im first). */
  readonly im: number[];
}

/**
 * All eigenvalues λ of a square matrix, Av = λv, as `{ re, im }`, sorted by real part then
 * imaginary part, descending. Symmetric input uses the symmetric solver (all im = 0).
 *
 * Computed by ml-matrix (Hessenberg reduction and shifted QR, from JAMA/EISPACK hqr2), which
 * handles complex-conjugate pairs of nonsymmetric matrices.
 *
 * @param A - A square matrix.
 * @returns Real and imaginary parts of the n eigenvalues.
 * @throws ShapeError when A is not square; NonFiniteError for NaN/±Infinity entries.
 * @example
 * ```ts
 * import { eigenvalues } from '@gflow/core';
 * eigenvalues([[0, -1], [1, 0]]); // { re: [0, 0], im: [1, -1] }
 * ```
 * @see Francis (1961), "The QR transformation"; Wilkinson & Reinsch (1971), Handbook for Automatic Computation II.
 */
export function eigenvalues(A: MatrixLike): Eigenvalues {
  const m = toDense('eigenvalues', 'A', A);
  requireSquare('eigenvalues', 'A', m);
  return denseEigenvalues(m);
}

/**
 * The spectral radius ρ(A) = max_i |λ_i(A)|, which governs ‖A^t‖ for large t
 * (Gelfand: ρ(A) = lim ‖A^t‖^{1/t}); ρ < 1 means a linear recurrence forgets, ρ > 1 that it explodes.
 *
 * @param A - A square matrix.
 * @returns ρ(A) ≥ 0.
 * @throws ShapeError when A is not square; NonFiniteError for NaN/±Infinity entries.
 * @example
 * ```ts
 * import { spectralRadius } from '@gflow/core';
 * const t = 0.3;
 * spectralRadius([[Math.cos(t), -Math.sin(t)], [Math.sin(t), Math.cos(t)]]); // 1 (a rotation)
 * ```
 * @see Pascanu, Mikolov & Bengio (2013), "On the difficulty of training recurrent neural networks".
 */
export function spectralRadius(A: MatrixLike): number {
  const m = toDense('spectralRadius', 'A', A);
  requireSquare('spectralRadius', 'A', m);
  const { re, im } = denseEigenvalues(m);
  let r = 0;
  for (let i = 0; i < re.length; i++) r = Math.max(r, Math.hypot(re[i]!, im[i]!));
  return r;
}
