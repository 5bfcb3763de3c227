import { singularValueDecomposition } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { checkWeight, outerSum, readLambda, readMatrix } from '../internal/penalty-input.js';

/** Options of {@link nuclearNormPenalty} and {@link frobeniusPenalty}. */
export interface PenaltyOptions {
  /** λ ≥ 0, the penalty's weight (default 1). */
  readonly lambda?: number;
}

/**
 * The nuclear-norm penalty λ‖W‖_* = λ·Σ_i σ_i(W), a scalar to add to the loss that favours
 * low-rank weights, with its gradient λ·UVᵀ.
 *
 * Computed with one read-back of W and a float64 SVD on the host (O(mn·min(m, n))); the returned
 * scalar is λ·⟨W, U_r V_rᵀ⟩ on the device, whose value is Σσ_i and whose gradient is exactly
 * λ·U_r V_rᵀ, over the r singular values above max(m, n)·ε·σ₁ (ε = 2⁻⁵², numpy's rank tolerance).
 * For full-rank W with distinct singular values this is the gradient; for rank-deficient W,
 * where ‖·‖_* is not differentiable, it is the subgradient of least norm. Second derivatives
 * through it hold U and V fixed (the result is 0, where the true curvature is not).
 *
 * @param weight - W, a finite float32 matrix (a tensor or a variable; not disposed).
 * @param options - `lambda` (1).
 * @returns A scalar (the caller's to dispose).
 * @throws InvalidArgumentError (from `@gflow/core`) when weight is not a float32 tensor or lambda is
 *   not a finite number ≥ 0; ShapeError when it is not 2-D or empty; NonFiniteError when it holds
 *   NaN or ±Infinity.
 * @example
 * ```ts
 * const { grads } = tf.variableGrads(() =>
 *   tf.add(taskLoss(), nuclearNormPenalty(dense.kernel, { lambda: 1e-3 })) as tf.Scalar,
 * );
 * ```
 * @see Fazel, Hindi & Boyd 2001, "A Rank Minimization Heuristic with Application to Minimum
 *   Order System Approximation" (the nuclear norm as the convex surrogate of rank); Watson 1992,
 *   "Characterization of the subdifferential of some matrix norms" (∂‖W‖_* = UVᵀ + …).
 */
export function nuclearNormPenalty(weight: tf.Tensor, options: PenaltyOptions = {}): tf.Scalar {
  const fn = 'nuclearNormPenalty';
  const lambda = readLambda(fn, options);
  const w = checkWeight(fn, weight, true);
  const { u, s, v } = singularValueDecomposition(readMatrix(fn, w));
  const tol = Math.max(w.shape[0] as number, w.shape[1] as number) * Number.EPSILON * (s[0] as number);
  const cols = s.map((_, i) => i).filter((i) => (s[i] as number) > tol);
  if (cols.length === 0 || lambda === 0) return tf.tidy(() => tf.sum(tf.mul(w, 0)) as tf.Scalar);
  return tf.tidy(() => {
    const uv = outerSum(
      u,
      v,
      cols,
      cols.map(() => 1),
    );
    return tf.mul(tf.sum(tf.mul(w, uv)), lambda) as tf.Scalar;
  });
}
