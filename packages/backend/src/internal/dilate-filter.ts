import * as tf from '@tensorflow/tfjs';

/**
 * Inserts `d − 1` zeros between the taps of a `[kh, kw, a, b]` filter, so that a convolution with
 * dilation `d` equals a convolution with dilation 1 and the dilated filter (same padding, since
 * the effective filter size is the same). Built from reshape, pad and slice, whose gradients are
 * exact, so derivatives of any order flow through it.
 */
export function dilateFilter(filter: tf.Tensor, dh: number, dw: number): tf.Tensor4D {
  const [kh, kw, a, b] = filter.shape as [number, number, number, number];
  if (dh === 1 && dw === 1) return filter as tf.Tensor4D;
  const spread = tf.pad(tf.reshape(filter, [kh, 1, kw, 1, a * b]), [
    [0, 0],
    [0, dh - 1],
    [0, 0],
    [0, dw - 1],
    [0, 0],
  ]);
  const full = tf.reshape(spread, [kh * dh, kw * dw, a, b]);
  return tf.slice(full, [0, 0, 0, 0], [(kh - 1) * dh + 1, (kw - 1) * dw + 1, a, b]) as tf.Tensor4D;
}

/** The adjoint of {@link dilateFilter}: keeps every `d`-th tap of a dilated filter's gradient. */
export function undilateFilter(
  dilated: tf.Tensor,
  kh: number,
  kw: number,
  dh: number,
  dw: number,
): tf.Tensor4D {
  if (dh === 1 && dw === 1) return dilated as tf.Tensor4D;
  const [, , a, b] = dilated.shape as [number, number, number, number];
  const padded = tf.pad(tf.reshape(dilated, [(kh - 1) * dh + 1, (kw - 1) * dw + 1, a * b]), [
    [0, dh - 1],
    [0, dw - 1],
    [0, 0],
  ]);
  const taps = tf.slice(tf.reshape(padded, [kh, dh, kw, dw, a * b]), [0, 0, 0, 0, 0], [kh, 1, kw, 1, a * b]);
  return tf.reshape(taps, [kh, kw, a, b]);
}
