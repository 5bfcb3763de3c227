import * as tf from '@tensorflow/tfjs';
import { checkWeight, readLambda } from '../internal/penalty-input.js';
import type { PenaltyOptions } from './nuclear-norm-penalty.js';

/**
 * The Frobenius (weight-decay, L2) penalty λ‖W‖_F² = λ·Σ_ij W_ij², a scalar to add to the loss,
 * with the gradient 2λW and the Hessian 2λI, both exact (plain tensor operations, so double
 * backpropagation goes through it).
 *
 * Computed as λ·Σ W_ij² in float32, unscaled, on purpose: every partial sum of the positive
 * squares is at most the total, so nothing overflows unless λ‖W‖_F² itself exceeds float32's
 * range (it is then +Infinity, never NaN); squares below float32's normal range (|W_ij| < 1e-19)
 * lose digits only where the whole penalty is below about 1e-38, far under the resolution of any
 * loss it is added to. Scaling W by a power of two first (as the norms in this package do, where
 * a square root would turn such an underflow into a wrong norm) would instead make the gradient
 * underflow for tiny weights; unscaled, the gradient 2λ·W_ij is exact at every magnitude. Any
 * rank; no read-back.
 *
 * @param weight - W, a float32 tensor or variable of any shape (not disposed).
 * @param options - `lambda` (1).
 * @returns A scalar (the caller's to dispose).
 * @throws InvalidArgumentError (from `@gflow/core`) when weight is not a float32 tensor or lambda is
 *   not a finite number ≥ 0; ShapeError when it is empty.
 * @example
 * ```ts
 * const { grads } = tf.variableGrads(() =>
 *   tf.add(taskLoss(), frobeniusPenalty(dense.kernel, { lambda: 1e-4 })) as tf.Scalar,
 * );
 * ```
 * @see Krogh & Hertz 1992, "A Simple Weight Decay Can Improve Generalization"; Hanson & Pratt
 *   1989, "Comparing Biases for Minimal Network Construction with Back-Propagation".
 */
export function frobeniusPenalty(weight: tf.Tensor, options: PenaltyOptions = {}): tf.Scalar {
  const fn = 'frobeniusPenalty';
  const lambda = readLambda(fn, options);
  const w = checkWeight(fn, weight, false);
  return tf.tidy(() => tf.mul(tf.sum(tf.square(w)), lambda) as tf.Scalar);
}
