import { describeValue, InvalidArgumentError, singularValueDecomposition } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { checkWeight, outerSum, readLambda, readMatrix } from '../internal/penalty-input.js';

/** Options of {@link spectralPenalty}. */
export interface SpectralPenaltyOptions {
  /** ρ_target ≥ 0: σ₁(W) up to it costs nothing (e.g. 1 for a recurrent matrix at the edge of chaos). */
  readonly target: number;
  /** λ ≥ 0, the penalty's weight (default 1). */
  readonly lambda?: number;
}

/**
 * The spectral hinge penalty λ·max(0, σ₁(W) − ρ_target)², a scalar to add to the loss that pushes
 * the largest singular value of a weight matrix (W_hh of a recurrent net) down to a target, with
 * its exact gradient 2λ·max(0, σ₁ − ρ_target)·u₁v₁ᵀ.
 *
 * **σ₁, not the spectral radius.** The penalty uses σ₁ = ‖W‖₂, which bounds the spectral radius
 * ρ(W) = max|λ_i| from above (ρ ≤ σ₁, with equality for normal matrices, e.g. symmetric or
 * orthogonal ones). Holding σ₁ at the target therefore guarantees ρ ≤ ρ_target, and also bounds
 * every step's Jacobian norm ‖W‖₂ — what gradient explosion through time is about (Pascanu et al.
 * 2013). The true ρ is not used because it is not a smooth function of W for non-normal matrices
 * (its derivative y xᵀ/(yᵀx) through the left and right eigenvectors blows up as they become
 * parallel, and ρ jumps between eigenvalues of equal modulus), while σ₁ is differentiable wherever
 * it is simple, with the gradient u₁v₁ᵀ of its top singular pair.
 *
 * Computed with one read-back of W and a float64 SVD on the host (`singularValueDecomposition`
 * from `@gflow/core`; O(mn·min(m, n)), about a millisecond for 128×128); the returned scalar is
 * λ·(⟨W, u₁v₁ᵀ⟩ − ρ_target)² on the device, whose value is σ₁'s and whose gradient with respect
 * to W is exactly 2λ(σ₁ − ρ_target)·u₁v₁ᵀ. Second derivatives through it hold u₁ and v₁ fixed (they
 * give the Gauss–Newton part 2λ·(u₁v₁ᵀ)⊗(u₁v₁ᵀ) and omit σ₁'s own curvature). Where σ₁ is
 * repeated, σ₁ is not differentiable and the top pair returned gives one subgradient. Below the
 * target the penalty is exactly 0 with gradient 0.
 *
 * @param weight - W, a finite float32 matrix (a tensor or a variable; not disposed).
 * @param options - `target` ρ_target (required), `lambda` (1).
 * @returns A scalar (the caller's to dispose, or to add to the loss inside `tf.variableGrads`).
 * @throws InvalidArgumentError (from `@gflow/core`) when weight is not a float32 tensor or an option
 *   is invalid; ShapeError when it is not 2-D or empty; NonFiniteError when it holds NaN or
 *   ±Infinity.
 * @example
 * ```ts
 * const whh = rnn.parameters().find((p) => p.role === 'recurrent')!.variable;
 * const { grads } = tf.variableGrads(() =>
 *   tf.add(taskLoss(), spectralPenalty(whh, { target: 1, lambda: 0.1 })) as tf.Scalar,
 * );
 * ```
 * @see Pascanu, Mikolov & Bengio 2013, "On the difficulty of training recurrent neural networks"
 *   (σ₁ of W_hh and exploding gradients); Yoshida & Miyato 2017, "Spectral Norm Regularization
 *   for Improving the Generalizability of Deep Learning" (σ₁ penalty through the top singular pair);
 *   Magnus 1985, "On differentiating eigenvalues and eigenvectors" (∂σ₁/∂W = u₁v₁ᵀ).
 */
export function spectralPenalty(weight: tf.Tensor, options: SpectralPenaltyOptions): tf.Scalar {
  const fn = 'spectralPenalty';
  const lambda = readLambda(fn, options);
  const target = options.target;
  if (typeof target !== 'number' || !Number.isFinite(target) || target < 0) {
    throw new InvalidArgumentError(
      `${fn}: options.target must be a finite number ≥ 0, got ${describeValue(target)}`,
    );
  }
  const w = checkWeight(fn, weight, true);
  const { u, s, v } = singularValueDecomposition(readMatrix(fn, w));
  const sigma = s[0] as number;
  if (sigma <= target || lambda === 0) return tf.tidy(() => tf.sum(tf.mul(w, 0)) as tf.Scalar);
  return tf.tidy(() => {
    const uv = outerSum(u, v, [0], [1]);
    const sigmaHat = tf.sum(tf.mul(w, uv));
    return tf.mul(tf.square(tf.sub(sigmaHat, target)), lambda) as tf.Scalar;
  });
}
