/**
 * The spectral norm and the quantities built on it: stable rank, Frobenius norm, spectral normalization.
 *
 * @module
 */
import { InvalidArgumentError } from './errors.js';
import { denseSpectralNorm } from './internal/dense.js';
import { norm2, toDense } from './internal/matrix.js';
import { readOptions, requirePositive } from './internal/validate.js';
import type { DenseMatrix, MatrixLike } from './matrix-like.js';

/** Options of {@link spectralNorm}. */
export interface SpectralNormOptions {
  /**
   * `'lanczos'` (Lanczos on AᵀA with full reorthogonalization), `'power'` (power iteration on AᵀA),
   * `'exact'` (full SVD) or `'auto'` (default: exact when min(m, n) ≤ 64, else lanczos).
   */
  readonly method?: 'auto' | 'lanczos' | 'power' | 'exact';
  /** Relative accuracy asked of σ_max for the iterative methods (default 1e-10). */
  readonly tol?: number;
  /** Maximum iterations (Lanczos steps, default 300; power iterations, default 10,000). */
  readonly maxIter?: number;
  /** Seed of the random start vector (default 0). */
  readonly seed?: number;
}

/**
 * The spectral norm σ_max(A) = max_{v≠0} ‖Av‖/‖v‖, the largest factor by which a layer can
 * stretch a gradient.
 *
 * The default (`'auto'`) uses the exact SVD for small matrices and otherwise Lanczos on AᵀA
 * (Float64Array matvecs, full reorthogonalization), stopping when the a-posteriori error
 * estimate of σ is below `tol` relative.
 *
 * @param A - A matrix (`number[][]` or `{ rows, cols, data }`).
 * @param options - `method` ('auto'), `tol` (1e-10), `maxIter`, `seed` (0).
 * @returns σ_max(A) ≥ 0.
 * @throws ShapeError / NonFiniteError for malformed input; ConvergenceError when an iterative
 * method does not reach `tol` in `maxIter`.
 * @example
 * ```ts
 * import { spectralNorm } from '@gflow/core';
 * spectralNorm([[1, 2], [3, 4]]); // √(15 + √221) ≈ 5.4650
 * ```
 * @see Miyato et al. (2018), "Spectral Normalization for Generative Adversarial Networks";
 * Golub & Van Loan, Matrix Computations §10.1 (Lanczos).
 */
export function spectralNorm(A: MatrixLike, options?: SpectralNormOptions): number {
  const o = readOptions('spectralNorm', options);
  return denseSpectralNorm('spectralNorm', toDense('spectralNorm', 'A', A), o);
}

/**
 * The Frobenius norm ‖A‖_F = √(Σ_ij a_ij²) = √(Σ σ_i²), computed with scaling (no overflow).
 *
 * @param A - A matrix.
 * @returns ‖A‖_F.
 * @throws ShapeError / NonFiniteError for malformed input.
 * @example
 * ```ts
 * import { frobeniusNorm } from '@gflow/core';
 * frobeniusNorm([[1, 2], [3, 4]]); // √30
 * ```
 * @see Golub & Van Loan, Matrix Computations §2.3.
 */
export function frobeniusNorm(A: MatrixLike): number {
  return norm2(toDense('frobeniusNorm', 'A', A).data);
}

/**
 * The stable rank srank(A) = ‖A‖_F²/‖A‖₂², a robust count of the significant directions
 * (1 ≤ srank(A) ≤ rank(A)).
 *
 * @param A - A nonzero matrix.
 * @param options - Passed to {@link spectralNorm}.
 * @returns The stable rank.
 * @throws InvalidArgumentError for the zero matrix (0/0); ShapeError / NonFiniteError for malformed input.
 * @example
 * ```ts
 * import { stableRank } from '@gflow/core';
 * stableRank([[1, 0], [0, 1]]); // 2
 * stableRank([[3, 0], [0, 0]]); // 1
 * ```
 * @see Rudelson & Vershynin (2007), "Sampling from large matrices"; Sanyal et al. (2020), "Stable rank normalization".
 */
export function stableRank(A: MatrixLike, options?: SpectralNormOptions): number {
  const m = toDense('stableRank', 'A', A);
  const o = readOptions('stableRank', options);
  const fro = norm2(m.data);
  if (fro === 0) throw new InvalidArgumentError('stableRank: A must be nonzero, got the zero matrix (0/0)');
  const s = denseSpectralNorm('stableRank', m, o);
  return Math.max(1, (fro / s) ** 2);
}

/** Options of {@link spectralNormalize}. */
export interface SpectralNormalizeOptions extends SpectralNormOptions {
  /** The spectral norm of the result (default 1). */
  readonly target?: number;
}

/**
 * Scales A so that its spectral norm equals `target`: A·target/σ_max(A). The zero matrix is
 * returned unchanged (there is no direction to scale). The input is not mutated.
 *
 * @param A - A matrix.
 * @param options - `target` (1) and the {@link spectralNorm} options.
 * @returns A new matrix of the same kind as the input: `number[][]` in, `number[][]` out;
 * a typed matrix in, a `{ rows, cols, data: Float64Array }` out.
 * @throws ShapeError / NonFiniteError for malformed input; InvalidArgumentError when target ≤ 0.
 * @example
 * ```ts
 * import { spectralNormalize } from '@gflow/core';
 * spectralNormalize([[2, 0], [0, 1]]); // [[1, 0], [0, 0.5]]
 * ```
 * @see Miyato et al. (2018), "Spectral Normalization for Generative Adversarial Networks".
 */
export function spectralNormalize<T extends MatrixLike>(
  A: T,
  options?: SpectralNormalizeOptions,
): T extends readonly (readonly number[])[] ? number[][] : DenseMatrix {
  const fn = 'spectralNormalize';
  const o = readOptions(fn, options);
  const target = requirePositive(fn, 'options.target', o.target ?? 1);
  const m = toDense(fn, 'A', A);
  const s = denseSpectralNorm(fn, m, o);
  const f = s === 0 ? 1 : target / s;
  const data = Float64Array.from(m.data, (x) => x * f);
  if (Array.isArray(A)) {
    const out: number[][] = [];
    for (let i = 0; i < m.rows; i++) out.push(Array.from(data.subarray(i * m.cols, (i + 1) * m.cols)));
    return out as never;
  }
  return { rows: m.rows, cols: m.cols, data } as never;
}
