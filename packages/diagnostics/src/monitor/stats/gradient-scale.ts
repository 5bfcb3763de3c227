import * as tf from '@tensorflow/tfjs';
import { SCALE_FLOOR } from '../../internal/norms.js';
import { type Pair, type ParamParts, pairAt, type Slot } from '../slots.js';

/** A gradient divided by its own scale, shared by the statistics taken of g/m. */
export interface ScaledGradient {
  /** max|g|, the gradient's ℓ∞ norm (float32, not floored). */
  readonly maxAbs: tf.Scalar;
  /** m = max(max|g|, 2⁻¹²⁶). */
  readonly m: tf.Scalar;
  /** g/m, every element in [−1, 1]. */
  readonly gs: tf.Tensor;
  /** (g/m)². */
  readonly gs2: tf.Tensor;
}

/**
 * Monitor statistic: the gradient's own scale and scaled sum of squares, the pair [m, Σ(g/m)²].
 * It is the gradient's norm (unless a training step shares one) and the scale every statistic of
 * g/m (moments, cosine, dead units) is taken in; those are scaled back on the host in float64,
 * since a float32 Σg⁴ overflows for |g| above 1e9.
 *
 * @internal
 */
export function planGradientScale(
  g: tf.Tensor,
  parts: ParamParts,
): { scaled: ScaledGradient; slot: Slot<Pair> } {
  const maxAbs = tf.max(tf.abs(g)) as tf.Scalar;
  const m = tf.maximum(maxAbs, SCALE_FLOOR) as tf.Scalar;
  const gs = tf.div(g, m);
  const gs2 = tf.square(gs);
  const at = parts.add(tf.reshape(m, [1]), tf.reshape(tf.sum(gs2), [1]));
  return { scaled: { maxAbs, m, gs, gs2 }, slot: pairAt(at) };
}
