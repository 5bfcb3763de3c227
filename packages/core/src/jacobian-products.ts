/**
 * Norms of products of layer Jacobians: how much the backward pass amplifies or attenuates.
 *
 * @module
 */
import { describeValue, InvalidArgumentError, ShapeError } from './errors.js';
import { denseSpectralNorm } from './internal/dense.js';
import { matmul, norm2, toDense } from './internal/matrix.js';
import { readOptions } from './internal/validate.js';
import type { MatrixLike } from './matrix-like.js';

/** Options of {@link jacobianProductNorms}. */
export interface JacobianProductNormsOptions {
  /** `'spectral'` (default, σ_max) or `'frobenius'`. */
  readonly norm?: 'spectral' | 'frobenius';
}

/** Result of {@link jacobianProductNorms}. */
export interface JacobianProductNorms {
  /** `norms[l]` = ‖J_{L−1} ⋯ J_l‖ (may overflow to Infinity or underflow to 0 for deep stacks). */
  readonly norms: number[];
  /** `log10[l]` = log₁₀ ‖J_{L−1} ⋯ J_l‖, exact even where `norms` over- or underflows. */
  readonly log10: number[];
}

/**
 * For layer Jacobians J_0, …, J_{L−1} (J_i = ∂h_{i+1}/∂h_i), the norm of the product from every
 * layer to the output, ‖∏_{i≥l} J_i‖ = ‖J_{L−1} J_{L−2} ⋯ J_l‖ for l = 0 … L−1: the factor by
 * which the gradient reaching layer l can have grown or shrunk.
 *
 * Products are accumulated from the output backward with a running rescaling, so `log10` stays
 * exact where the plain norms would overflow or underflow.
 *
 * @param jacobians - L ≥ 1 matrices; cols(J_{i+1}) must equal rows(J_i).
 * @param options - `norm`: 'spectral' (default) or 'frobenius'.
 * @returns `norms` and `log10`, each of length L.
 * @throws InvalidArgumentError for an empty list; ShapeError when shapes do not chain;
 * NonFiniteError for non-finite entries.
 * @example
 * ```ts
 * import { jacobianProductNorms } from '@gflow/core';
 * const J = [[0.5, 0], [0, 0.5]];
 * jacobianProductNorms([J, J, J]).norms; // [0.125, 0.25, 0.5]
 * ```
 * @see Pennington, Schoenholz & Ganguli (2017), "Resurrecting the sigmoid in deep learning through dynamical isometry".
 */
export function jacobianProductNorms(
  jacobians: readonly MatrixLike[],
  options?: JacobianProductNormsOptions,
): JacobianProductNorms {
  const fn = 'jacobianProductNorms';
  if (!Array.isArray(jacobians) || jacobians.length === 0) {
    throw new InvalidArgumentError(
      `${fn}: jacobians must be a non-empty array of matrices, got ${describeValue(jacobians)}`,
    );
  }
  const o = readOptions(fn, options);
  const kind = o.norm ?? 'spectral';
  if (kind !== 'spectral' && kind !== 'frobenius') {
    throw new InvalidArgumentError(
      `${fn}: options.norm must be 'spectral' or 'frobenius', got ${describeValue(kind)}`,
    );
  }
  const mats = jacobians.map((j, i) => toDense(fn, `jacobians[${i}]`, j));
  for (let i = 0; i + 1 < mats.length; i++) {
    if (mats[i + 1]!.cols !== mats[i]!.rows) {
      throw new ShapeError(
        `${fn}: jacobians[${i + 1}] must have ${mats[i]!.rows} columns (rows of jacobians[${i}]) so the product chains, got shape [${mats[i + 1]!.rows}, ${mats[i + 1]!.cols}]`,
      );
    }
  }
  const L = mats.length;
  const norms = new Array<number>(L);
  const log10 = new Array<number>(L);
  let product = mats[L - 1]!;
  let logScale = 0; // log10 of the factor divided out of `product`
  for (let l = L - 1; l >= 0; l--) {
    if (l < L - 1) product = matmul(product, mats[l]!);
    const n = kind === 'spectral' ? denseSpectralNorm(fn, product) : norm2(product.data);
    log10[l] = logScale + Math.log10(n);
    norms[l] = 10 ** log10[l]!;
    if (n > 0 && (n > 1e100 || n < 1e-100)) {
      const data = product.data;
      for (let i = 0; i < data.length; i++) data[i]! /= n;
      logScale += Math.log10(n);
    }
  }
  return { norms, log10 };
}
