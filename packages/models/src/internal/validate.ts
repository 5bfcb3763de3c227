import { describeValue, InvalidArgumentError, ShapeError } from '@gflow/core';
import type * as tf from '@tensorflow/tfjs';

export { checkBoolean, checkInt, checkNumber, checkOneOf } from '@gflow/core/internal';

/**
 * Throws a ShapeError unless `x` has rank `shape.length` and matches every non-null entry of `shape`.
 * `names` describes the expected shape in the message, e.g. `[batch, 4]`.
 */
export function checkShape(fn: string, arg: string, x: tf.Tensor, shape: readonly (number | null)[]): void {
  const ok = x.rank === shape.length && shape.every((d, i) => d === null || x.shape[i] === d);
  if (!ok) {
    const need = `[${shape.map((d) => (d === null ? 'any' : String(d))).join(', ')}]`;
    throw new ShapeError(`${fn}: ${arg} must have shape ${need}, got [${x.shape.join(', ')}]`);
  }
}

/** Throws unless `x` is a float32 tensor. */
export function checkFloat(fn: string, arg: string, x: tf.Tensor): void {
  if (x.dtype !== 'float32') {
    throw new InvalidArgumentError(
      `${fn}: ${arg} must be a float32 tensor, got dtype ${describeValue(x.dtype)}`,
    );
  }
}
