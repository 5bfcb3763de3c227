import * as tf from '@tensorflow/tfjs';
import { checkLossArgs } from './internal/check-loss-args.js';
import './register-gradients.js';

/**
 * Sigmoid (binary) cross-entropy averaged over every element, with exact second derivatives.
 *
 * L = mean( max(z, 0) − z·y + log(1 + exp(−|z|)) ), the numerically stable form of
 * −y·log σ(z) − (1 − y)·log(1 − σ(z)). Built from `relu`, `mul`, `abs`, `exp` and `log1p`,
 * whose gradients gflow registers correctly.
 *
 * @param labels - Targets in [0, 1], float32.
 * @param logits - Unnormalized scores, the same shape as `labels`.
 * @returns A scalar, the caller's to dispose.
 * @throws InvalidArgumentError (from `@gflow/core`) when an argument is not a float32 tensor.
 * @throws ShapeError (from `@gflow/core`) when the shapes differ.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { sigmoidCrossEntropy } from '@gflow/backend';
 * sigmoidCrossEntropy(tf.tensor1d([1]), tf.tensor1d([0])).print(); // 0.6931 = log 2
 * ```
 * @see Goodfellow, Bengio & Courville 2016, Deep Learning, section 6.2.2.2 (sigmoid units).
 */
export function sigmoidCrossEntropy(labels: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  checkLossArgs('sigmoidCrossEntropy', 'labels', labels, 'logits', logits, 0);
  return tf.tidy(() => {
    const perElement = tf.add(
      tf.sub(tf.relu(logits), tf.mul(logits, labels)),
      tf.log1p(tf.exp(tf.neg(tf.abs(logits)))),
    );
    return tf.mean(perElement) as tf.Scalar;
  });
}
