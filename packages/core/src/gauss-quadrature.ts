/**
 * Gauss quadrature from a Lanczos tridiagonal, for stochastic Lanczos quadrature.
 *
 * @module
 */
import { ShapeError } from './errors.js';
import { tridiagonalEigen } from './internal/tridiagonal.js';
import { requireFiniteVector } from './internal/validate.js';

/** Nodes and weights of the Gauss rule of a Jacobi matrix. */
export interface GaussQuadratureResult {
  /** Eigenvalues of T, ascending. */
  readonly nodes: Float64Array;
  /** Squared first components of T's unit eigenvectors; they sum to 1. */
  readonly weights: Float64Array;
}

/**
 * The Gauss quadrature rule of the symmetric tridiagonal T = tridiag(β, α, β): nodes are T's
 * eigenvalues θ_k, weights τ_k = (e₁ᵀ s_k)². For T from Lanczos started at a unit v,
 * vᵀ f(A) v ≈ Σ_k τ_k f(θ_k) (Golub–Welsch); averaged over random v this is stochastic
 * Lanczos quadrature for spectral densities and traces.
 *
 * @param alpha - Diagonal of T (length m ≥ 1).
 * @param beta - Off-diagonal of T (length m − 1).
 * @returns Nodes (ascending) and weights summing to 1.
 * @throws ShapeError when the lengths disagree; NonFiniteError for non-finite entries.
 * @example
 * ```ts
 * import { gaussQuadrature } from '@gflow/core';
 * const { nodes, weights } = gaussQuadrature([0, 0], [1]); // nodes [-1, 1], weights [0.5, 0.5]
 * ```
 * @see Golub & Welsch (1969); Ubaru, Chen & Saad (2017), "Fast estimation of tr(f(A)) via stochastic Lanczos quadrature";
 * Ghorbani, Krishnan & Xiao (2019) for Hessian spectral densities.
 */
export function gaussQuadrature(alpha: ArrayLike<number>, beta: ArrayLike<number>): GaussQuadratureResult {
  const fn = 'gaussQuadrature';
  if (alpha == null || typeof alpha.length !== 'number' || alpha.length < 1) {
    throw new ShapeError(
      `${fn}: alpha must be a non-empty array, got length ${alpha == null ? alpha : alpha.length}`,
    );
  }
  if (beta == null || beta.length !== alpha.length - 1) {
    throw new ShapeError(
      `${fn}: beta must have length alpha.length − 1 = ${alpha.length - 1}, got ${beta == null ? beta : `length ${beta.length}`}`,
    );
  }
  requireFiniteVector(fn, 'alpha', alpha);
  requireFiniteVector(fn, 'beta', beta);
  const { values, vectors } = tridiagonalEigen(alpha, beta);
  const weights = Float64Array.from(vectors, (v) => v[0]! * v[0]!);
  return { nodes: values, weights };
}
