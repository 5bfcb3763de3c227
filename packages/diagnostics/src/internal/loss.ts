import { describeValue, InvalidArgumentError, ShapeError } from '@gflow/core';
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
  // the named losses need targets shaped like the outputs: say so instead of tfjs's assertion
  const same = (t: tf.Tensor, y: tf.Tensor): void => {
    if (t.rank !== y.rank || t.shape.some((d, i) => d !== y.shape[i])) {
      throw new ShapeError(
        `${fn}: targets must have the shape of the model's outputs [${y.shape.join(', ')}], got [${t.shape.join(', ')}]`,
      );
    }
  };
  switch (loss) {
    case 'meanSquaredError':
      return (t, y) => {
        same(t, y);
        return tf.losses.meanSquaredError(t, y) as tf.Scalar;
      };
    case 'softmaxCrossEntropy':
      return (t, y) => {
        same(t, y);
        return tf.losses.softmaxCrossEntropy(t, y) as tf.Scalar;
      };
    case 'sigmoidCrossEntropy':
      return (t, y) => {
        same(t, y);
        return tf.losses.sigmoidCrossEntropy(t, y) as tf.Scalar;
      };
    default:
      throw new InvalidArgumentError(
        `${fn}: loss must be one of ${lossNames.map((n) => `'${n}'`).join(', ')} or a function (targets, outputs) => tf.Scalar, got ${describeValue(loss)}`,
      );
  }
}
