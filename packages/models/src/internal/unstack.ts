import * as tf from '@tensorflow/tfjs';

/**
 * `tf.unstack(x, axis)` that can be differentiated when the axis has length 1: tfjs 4.22 hands the
 * gradient of a one-output `Unpack` to `Unpack`'s gradient as a tensor rather than a list, and
 * `tf.stack` there throws ("Argument tensors passed to stack must be a `Tensor[]`"), so a
 * one-step sequence could not be differentiated. A length-1 axis is squeezed out by a reshape.
 * @internal
 */
export function unstack(x: tf.Tensor, axis: number): tf.Tensor[] {
  if (x.shape[axis] !== 1) return tf.unstack(x, axis);
  return [
    tf.reshape(
      x,
      x.shape.filter((_, i) => i !== axis),
    ),
  ];
}
