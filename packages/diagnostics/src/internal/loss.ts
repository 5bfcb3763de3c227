import { describeValue, InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';

/** A loss by name, or a function of (targets, outputs) returning a scalar. */
export type LossSpec =
  | 'meanSquaredError'
  | 'softmaxCrossEntropy'
  | 'sigmoidCrossEntropy'
  | ((targets: tf.Tensor, outputs: tf.Tensor) => tf.Scalar);

/** The names {@link LossSpec} accepts. */
export const lossNames = ['meanSquaredError', 'softmaxCrossEntropy', 'sigmoidCrossEntropy'] as const;

/** Resolves a loss spec to a function (tfjs's first-order losses, means over the batch). */
export function resolveLoss(
  fn: string,
  loss: unknown,
): (targets: tf.Tensor, outputs: tf.Tensor) => tf.Scalar {
  if (typeof loss === 'function') return loss as (targets: tf.Tensor, outputs: tf.Tensor) => tf.Scalar;
  switch (loss) {
    case 'meanSquaredError':
      return (t, y) => tf.losses.meanSquaredError(t, y) as tf.Scalar;
    case 'softmaxCrossEntropy':
      return (t, y) => tf.losses.softmaxCrossEntropy(t, y) as tf.Scalar;
    case 'sigmoidCrossEntropy':
      return (t, y) => tf.losses.sigmoidCrossEntropy(t, y) as tf.Scalar;
    default:
      throw new InvalidArgumentError(
        `${fn}: loss must be one of ${lossNames.map((n) => `'${n}'`).join(', ')} or a function (targets, outputs) => tf.Scalar, got ${describeValue(loss)}`,
      );
  }
}
