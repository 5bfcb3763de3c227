/**
 * Power iteration on a linear operator given by its matvec.
 *
 * @module
 */
import { checkAllocation } from './allocation-limit.js';
import { describeValue, InvalidArgumentError, NonFiniteError, ShapeError } from './errors.js';
import { dot, norm2 } from './internal/matrix.js';
import { createRng, gaussianVector } from './internal/rng.js';
import { readOptions, requireInteger, requirePositive } from './internal/validate.js';
import type { Matvec } from './matrix-like.js';

/** Options of {@link powerIteration}. */
export interface PowerIterationOptions {
  /** Stop when the residual ‖Av − λv‖ ≤ tol·|λ| (default 1e-8). */
  readonly tol?: number;
  /** Maximum number of matvecs (default 1000). */
  readonly maxIter?: number;
  /** Seed of the random start vector (default 0). */
  readonly seed?: number;
  /** Orthonormal vectors projected out of every iterate (to find the next eigenpair). */
  readonly deflate?: readonly Float64Array[];
  /** Start vector (default: seeded Gaussian). Not mutated. */
  readonly init?: Float64Array;
}

/** Result of {@link powerIteration}. */
export interface PowerIterationResult {
  /** Rayleigh quotient vᵀAv of the dominant eigenvalue (signed: the λ of largest |λ|). */
  readonly value: number;
  /** Unit eigenvector estimate. */
  readonly vector: Float64Array;
  /** Number of matvecs performed. */
  readonly iterations: number;
  /** Whether the residual reached `tol`. */
  readonly converged: boolean;
  /** Final residual ‖Av − λv‖ (absolute). */
  readonly residual: number;
}

function project(v: Float64Array, basis: readonly Float64Array[]): void {
  for (const q of basis) {
    const c = dot(v, q);
    for (let i = 0; i < v.length; i++) v[i]! -= c * q[i]!;
  }
}

function checkVector(fn: string, what: string, v: unknown, dim: number): Float64Array {
  if (!(v instanceof Float64Array) || v.length !== dim) {
    throw new ShapeError(
      `${fn}: ${what} must be a Float64Array of length ${dim}, got ${v instanceof Float64Array ? `length ${v.length}` : describeValue(v)}`,
    );
  }
  for (let i = 0; i < dim; i++) {
    if (!Number.isFinite(v[i]!))
      throw new NonFiniteError(`${fn}: ${what} must be finite, got ${v[i]} at index ${i}`);
  }
  return v;
}

/**
 * Finds the dominant eigenpair (largest |λ|) of a symmetric operator by power iteration:
 * v ← Av/‖Av‖, λ = vᵀAv.
 *
 * Convergence is linear with ratio |λ₂/λ₁|. Deflation vectors are projected out of each
 * iterate, giving the dominant eigenpair on their orthogonal complement.
 *
 * @param matvec - v ↦ Av (synchronous; must not mutate v).
 * @param dim - Dimension n ≥ 1.
 * @param options - `tol` (1e-8), `maxIter` (1000), `seed` (0), `deflate`, `init`.
 * @returns The Rayleigh quotient, the unit vector, iterations, convergence flag and residual.
 * @throws InvalidArgumentError for bad options; ShapeError when matvec returns the wrong length;
 * NonFiniteError when it returns NaN or ±Infinity.
 * @example
 * ```ts
 * import { powerIteration } from '@gflow/core';
 * const A = [[2, 1], [1, 3]];
 * const r = powerIteration((v) => Float64Array.from(A, (row) => row[0]! * v[0]! + row[1]! * v[1]!), 2);
 * r.value; // (5 + √5)/2 ≈ 3.618
 * ```
 * @see von Mises & Pollaczek-Geiringer (1929); Golub & Van Loan, Matrix Computations §8.2.
 */
export function powerIteration(
  matvec: Matvec,
  dim: number,
  options?: PowerIterationOptions,
): PowerIterationResult {
  const fn = 'powerIteration';
  if (typeof matvec !== 'function') {
    throw new InvalidArgumentError(
      `${fn}: matvec must be a function (v: Float64Array) => Float64Array, got ${describeValue(matvec)}`,
    );
  }
  requireInteger(fn, 'dim', dim, 1);
  const o = readOptions(fn, options);
  const tol = requirePositive(fn, 'options.tol', o.tol ?? 1e-8);
  const maxIter = requireInteger(fn, 'options.maxIter', o.maxIter ?? 1000, 1);
  const deflate = o.deflate ?? [];
  if (!Array.isArray(deflate)) {
    throw new InvalidArgumentError(
      `${fn}: options.deflate must be an array of Float64Array, got ${describeValue(deflate)}`,
    );
  }
  // the iterate, its image and its copy: 3 vectors of length dim
  checkAllocation(fn, 'float64 values', dim * 3, 8);
  deflate.forEach((q, i) => {
    checkVector(fn, `options.deflate[${i}]`, q, dim);
  });
  let v =
    o.init === undefined
      ? gaussianVector(createRng(o.seed ?? 0), dim)
      : Float64Array.from(checkVector(fn, 'options.init', o.init, dim));
  project(v, deflate);
  let nv = norm2(v);
  if (nv === 0) {
    // A start inside the deflated space: restart from a seeded random vector.
    v = gaussianVector(createRng((o.seed ?? 0) + 1), dim);
    project(v, deflate);
    nv = norm2(v);
    if (nv === 0) {
      return { value: 0, vector: v, iterations: 0, converged: true, residual: 0 };
    }
  }
  for (let i = 0; i < dim; i++) v[i]! /= nv;
  let value = 0;
  let residual = Number.POSITIVE_INFINITY;
  let iterations = 0;
  let converged = false;
  while (iterations < maxIter) {
    const w = matvec(v);
    iterations++;
    if (!(w instanceof Float64Array) || w.length !== dim) {
      throw new ShapeError(
        `${fn}: matvec must return a Float64Array of length ${dim}, got ${w instanceof Float64Array ? `length ${w.length}` : describeValue(w)}`,
      );
    }
    const u = Float64Array.from(w);
    project(u, deflate);
    value = dot(v, u);
    let r = 0;
    for (let i = 0; i < dim; i++) {
      const d = u[i]! - value * v[i]!;
      r += d * d;
    }
    residual = Math.sqrt(r);
    if (!Number.isFinite(residual) || !Number.isFinite(value)) {
      throw new NonFiniteError(
        `${fn}: matvec must return finite values, got a non-finite entry at iteration ${iterations}`,
      );
    }
    const nu = norm2(u);
    if (residual <= tol * Math.abs(value) || nu === 0) {
      converged = true;
      if (nu === 0) residual = 0;
      break;
    }
    for (let i = 0; i < dim; i++) v[i] = u[i]! / nu;
  }
  return { value, vector: v, iterations, converged, residual };
}
