import * as tf from '@tensorflow/tfjs';
import { checkLossArgs } from './internal/check-loss-args.js';
import './register-gradients.js';

/**
 * Softmax cross-entropy averaged over the batch, with exact second derivatives.
 *
 * L = −(1/N) Σₙ Σₖ yₙₖ · log softmax(zₙ)ₖ, where log softmax(z) = z − logSumExp(z) along the last
 * axis and N is the product of all but the last dimension. Built from plain ops (`sub`, `logSumExp`,
 * `mul`, `sum`) whose gradients gflow registers correctly, unlike `tf.losses.softmaxCrossEntropy`
 * and `tf.logSoftmax`, which use `tf.customGrad` and double-differentiate wrongly in tfjs 4.22.
 *
 * @param labels - One-hot labels or class probabilities, shape `[..., K]`, float32.
 * @param logits - Unnormalized scores, the same shape as `labels`.
 * @returns A scalar, the caller's to dispose.
 * @throws InvalidArgumentError (from `@gflow/core`) when an argument is not a float32 tensor.
 * @throws ShapeError (from `@gflow/core`) when the shapes differ or the rank is below 1.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { softmaxCrossEntropy } from '@gflow/backend';
 * const labels = tf.tensor2d([[0, 1, 0]]);
 * const logits = tf.tensor2d([[1, 2, 3]]);
 * softmaxCrossEntropy(labels, logits).print(); // 1.4076 = log(e + e² + e³) − 2
 * ```
 * @see Goodfellow, Bengio & Courville 2016, Deep Learning, section 6.2.2.3 (softmax units).
 */
export function softmaxCrossEntropy(labels: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  checkLossArgs('softmaxCrossEntropy', 'labels', labels, 'logits', logits, 1);
  return tf.tidy(() => {
    const axis = logits.rank - 1;
    const logProbs = tf.sub(logits, tf.logSumExp(logits, axis, true));
    const perExample = tf.neg(tf.sum(tf.mul(labels, logProbs), axis));
    return tf.mean(perExample) as tf.Scalar;
  });
}
