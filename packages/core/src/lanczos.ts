/**
 * The Lanczos process on a symmetric linear operator given by its matvec.
 *
 * @module
 */
import { checkAllocation } from './allocation-limit.js';
import { describeValue, InvalidArgumentError, NonFiniteError, ShapeError } from './errors.js';
import { dot, norm2 } from './internal/matrix.js';
import { createRng, gaussianVector } from './internal/rng.js';
import { tridiagonalEigen } from './internal/tridiagonal.js';
import { readOptions, requireInteger } from './internal/validate.js';
import type { Matvec } from './matrix-like.js';

/** Options of {@link lanczos}. */
export interface LanczosOptions {
  /** Number of Lanczos steps m (default min(dim, 30)); fewer when an invariant subspace is found. */
  readonly steps?: number;
  /** Full reorthogonalization against every previous vector, twice (default true). */
  readonly reorthogonalize?: boolean;
  /** Seed of the random start vector (default 0). */
  readonly seed?: number;
  /** Start vector (default: seeded Gaussian); normalized internally, not mutated. */
  readonly init?: Float64Array;
}

/** Result of {@link lanczos}: the tridiagonal T = QᵀAQ and its Ritz pairs. */
export interface LanczosResult {
  /** Diagonal of T (length `steps`). */
  readonly alpha: Float64Array;
  /** Off-diagonal of T (length `steps − 1`). */
  readonly beta: Float64Array;
  /** Number of steps actually taken. */
  readonly steps: number;
  /** Eigenvalues of T, ascending. */
  readonly ritzValues: Float64Array;
  /** Ritz vectors Q·s in the original space, one per Ritz value, unit length. */
  readonly ritzVectors: Float64Array[];
}

/**
 * Runs m steps of the Lanczos process, A·Q = Q·T + β_m q_{m+1}e_mᵀ, and returns T's
 * diagonal α, off-diagonal β and its Ritz pairs (θ, Q·s). With full reorthogonalization the
 * extreme Ritz values converge to the extreme eigenvalues of A.
 *
 * The operator must be symmetric. The tridiagonal's eigenproblem is solved by ml-matrix
 * (symmetric QL). Stops early, with fewer steps, when β falls below 1e-12·‖T‖ (an invariant
 * subspace: the Ritz values are then exact eigenvalues). One start vector sees one direction per
 * eigenspace: in exact arithmetic a repeated eigenvalue appears once among the Ritz values,
 * whatever its multiplicity (diag(2, 2, 2, 7, 7) stops after 2 steps with Ritz values 2, 7), so
 * the Ritz values are not the eigenvalues counted with multiplicity. That is what quadrature
 * needs (the weights carry the multiplicity); for the k largest eigenvalues with their copies,
 * lock the pairs found and run again from a start vector orthogonal to them.
 *
 * @param matvec - v ↦ Av (synchronous; must not mutate v).
 * @param dim - Dimension n ≥ 1.
 * @param options - `steps` (min(n, 30)), `reorthogonalize` (true), `seed` (0), `init`.
 * @returns α, β, steps, ascending Ritz values and their vectors.
 * @throws InvalidArgumentError for bad options; ShapeError / NonFiniteError for a bad matvec result.
 * @example
 * ```ts
 * import { lanczos } from '@gflow/core';
 * const d = [1, 2, 3, 4];
 * const r = lanczos((v) => v.map((x, i) => d[i]! * x), 4, { steps: 4 });
 * r.ritzValues; // ≈ [1, 2, 3, 4]
 * ```
 * @see Lanczos (1950); Paige (1972); Golub & Van Loan, Matrix Computations §10.1.
 */
export function lanczos(matvec: Matvec, dim: number, options?: LanczosOptions): LanczosResult {
  // Kept whole: the Lanczos three-term recurrence with optional full reorthogonalization, its basis and tridiagonal shared by every step; it mirrors the algorithm as written.
  const fn = 'lanczos';
  if (typeof matvec !== 'function') {
    throw new InvalidArgumentError(
      `${fn}: matvec must be a function (v: Float64Array) => Float64Array, got ${describeValue(matvec)}`,
    );
  }
  requireInteger(fn, 'dim', dim, 1);
  const o = readOptions(fn, options);
  const m = requireInteger(fn, 'options.steps', o.steps ?? Math.min(dim, 30), 1, dim);
  const reorth = o.reorthogonalize ?? true;
  // the Lanczos basis and the Ritz vectors: 2m + 2 vectors of length dim
  checkAllocation(fn, 'float64 values', dim * (2 * m + 2), 8);
  let q: Float64Array;
  if (o.init !== undefined) {
    if (!(o.init instanceof Float64Array) || o.init.length !== dim) {
      throw new ShapeError(
        `${fn}: options.init must be a Float64Array of length ${dim}, got ${describeValue(o.init)}`,
      );
    }
    q = Float64Array.from(o.init);
  } else {
    q = gaussianVector(createRng(o.seed ?? 0), dim);
  }
  const n0 = norm2(q);
  if (!(n0 > 0) || !Number.isFinite(n0)) {
    throw new InvalidArgumentError(`${fn}: options.init must be a finite nonzero vector, got norm ${n0}`);
  }
  for (let i = 0; i < dim; i++) q[i]! /= n0;
  const Q: Float64Array[] = [q];
  const alpha: number[] = [];
  const beta: number[] = [];
  let scale = 0;
  for (let j = 0; j < m; j++) {
    const qj = Q[j]!;
    const out = matvec(qj);
    if (!(out instanceof Float64Array) || out.length !== dim) {
      throw new ShapeError(
        `${fn}: matvec must return a Float64Array of length ${dim}, got ${out instanceof Float64Array ? `length ${out.length}` : describeValue(out)}`,
      );
    }
    const w = Float64Array.from(out);
    const a = dot(qj, w);
    if (!Number.isFinite(a))
      throw new NonFiniteError(`${fn}: matvec must return finite values, got α = ${a} at step ${j}`);
    alpha.push(a);
    for (let i = 0; i < dim; i++) w[i]! -= a * qj[i]!;
    if (j > 0) {
      const b = beta[j - 1]!;
      const qp = Q[j - 1]!;
      for (let i = 0; i < dim; i++) w[i]! -= b * qp[i]!;
    }
    if (reorth) {
      for (let pass = 0; pass < 2; pass++) {
        for (const qk of Q) {
          const c = dot(w, qk);
          for (let i = 0; i < dim; i++) w[i]! -= c * qk[i]!;
        }
      }
    }
    scale = Math.max(scale, Math.abs(a) + (j > 0 ? beta[j - 1]! : 0));
    if (j === m - 1) break;
    const b = norm2(w);
    if (!(b > 1e-12 * scale)) break;
    beta.push(b);
    for (let i = 0; i < dim; i++) w[i]! /= b;
    Q.push(w);
  }
  const steps = alpha.length;
  const { values, vectors } = tridiagonalEigen(alpha, beta);
  const ritzVectors = vectors.map((s) => {
    const y = new Float64Array(dim);
    for (let k = 0; k < steps; k++) {
      const c = s[k]!;
      const qk = Q[k]!;
      for (let i = 0; i < dim; i++) y[i]! += c * qk[i]!;
    }
    const ny = norm2(y);
    if (ny > 0) for (let i = 0; i < dim; i++) y[i]! /= ny;
    return y;
  });
  return {
    alpha: Float64Array.from(alpha),
    beta: Float64Array.from(beta),
    steps,
    ritzValues: values,
    ritzVectors,
  };
}
