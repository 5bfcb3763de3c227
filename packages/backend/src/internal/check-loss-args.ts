import { describeValue, InvalidArgumentError, ShapeError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';

/** Validates a loss's two tensor arguments: tensors, float, equal shapes, rank ≥ `minRank`. */
export function checkLossArgs(
  fn: string,
  aName: string,
  a: unknown,
  bName: string,
  b: unknown,
  minRank: number,
): asserts a is tf.Tensor {
  for (const [name, t] of [
    [aName, a],
    [bName, b],
  ] as const) {
    if (!(t instanceof tf.Tensor)) {
      throw new InvalidArgumentError(`${fn}: ${name} must be a tf.Tensor, got ${describeValue(t)}`);
    }
    if (t.dtype !== 'float32') {
      throw new InvalidArgumentError(`${fn}: ${name} must have dtype float32, got ${t.dtype}`);
    }
    if (t.rank < minRank) {
      throw new ShapeError(`${fn}: ${name} must have rank ≥ ${minRank}, got shape [${t.shape.join(', ')}]`);
    }
  }
  const sa = (a as tf.Tensor).shape;
  const sb = (b as tf.Tensor).shape;
  if (sa.length !== sb.length || sa.some((d, i) => d !== sb[i])) {
    throw new ShapeError(
      `${fn}: ${bName} must have the shape of ${aName} [${sa.join(', ')}], got [${sb.join(', ')}]`,
    );
  }
}
