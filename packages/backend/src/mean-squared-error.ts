import * as tf from '@tensorflow/tfjs';
import { checkLossArgs } from './internal/check-loss-args.js';
import './register-gradients.js';

/**
 * Mean squared error over every element: L = mean((ŷ − y)²).
 *
 * Its Hessian with respect to the predictions is (2/n)·I. tfjs's own op is also right; this one is
 * here so that every gflow loss comes from one place with the same argument checks.
 *
 * @param targets - The targets y, float32.
 * @param predictions - The predictions ŷ, the same shape as `targets`.
 * @returns A scalar, the caller's to dispose.
 * @throws InvalidArgumentError (from `@gflow/core`) when an argument is not a float32 tensor.
 * @throws ShapeError (from `@gflow/core`) when the shapes differ.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { meanSquaredError } from '@gflow/backend';
 * meanSquaredError(tf.tensor1d([0, 0]), tf.tensor1d([1, 3])).print(); // 5 = (1 + 9) / 2
 * ```
 * @see Goodfellow, Bengio & Courville 2016, Deep Learning, section 5.5 (maximum likelihood and MSE).
 */
export function meanSquaredError(targets: tf.Tensor, predictions: tf.Tensor): tf.Scalar {
  checkLossArgs('meanSquaredError', 'targets', targets, 'predictions', predictions, 0);
  return tf.tidy(() => tf.mean(tf.squaredDifference(predictions, targets)) as tf.Scalar);
}
