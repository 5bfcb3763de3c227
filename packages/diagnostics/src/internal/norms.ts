import * as tf from '@tensorflow/tfjs';
import type { NamedTensors } from './tensors.js';
import { f32 } from './tensors.js';

/** Σ‖g‖² over every tensor, as a float32 scalar (zero for an empty record). */
export function globalNormSquared(grads: NamedTensors): tf.Scalar {
  return tf.tidy(() => {
    const parts = Object.values(grads).map((g) => tf.sum(tf.square(f32(g))));
    return (parts.length === 0 ? tf.scalar(0) : parts.length === 1 ? parts[0] : tf.addN(parts)) as tf.Scalar;
  });
}

/**
 * Σ‖tᵢ‖² of each named tensor, stacked in `names` order into one float32 vector of length
 * `names.length`: the per-parameter squared norms a training step computes once and shares (the
 * raw global norm, `clipByGlobalNorm`'s scale and the monitor's per-parameter norms all come from
 * it). Every name must be in `tensors`. The result is the caller's to dispose.
 */
export function squaredNorms(tensors: NamedTensors, names: readonly string[]): tf.Tensor1D {
  return tf.tidy(() => {
    if (names.length === 0) return tf.zeros([0]) as tf.Tensor1D;
    const parts = names.map((n) => {
      const t = f32(tensors[n] as tf.Tensor);
      // A vector sums straight to shape [1]; anything else sums to a scalar and is reshaped.
      return t.rank === 1 ? tf.sum(tf.square(t), 0, true) : tf.reshape(tf.sum(tf.square(t)), [1]);
    });
    return (parts.length === 1 ? parts[0] : tf.concat(parts)) as tf.Tensor1D;
  });
}

/** ‖g‖ over every tensor together. */
export function globalNorm(grads: NamedTensors): tf.Scalar {
  return tf.tidy(() => tf.sqrt(globalNormSquared(grads)));
}

/** Multiplies every tensor by a scalar; returns new tensors. */
export function scaleAll(grads: NamedTensors, scale: tf.Scalar): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [k, g] of Object.entries(grads)) out[k] = tf.tidy(() => tf.mul(g, scale));
  return out;
}

/**
 * The factor that brings a norm down to `max`: max / max(norm, max), which is 1 when norm ≤ max.
 * A non-finite norm gives a non-finite factor (NaN stays visible).
 */
export function clipFactor(norm: tf.Scalar, max: tf.Scalar | number): tf.Scalar {
  return tf.tidy(() => tf.div(max, tf.maximum(norm, max)) as tf.Scalar);
}

/**
 * Axes reduced to get one norm per unit: a rank ≥ 2 tensor has one unit per entry of its last
 * axis (dense kernel [in, out]: an output column; conv kernel HWIO: an output channel); a vector
 * or scalar is one unit.
 */
export function unitAxes(rank: number): number[] | undefined {
  return rank >= 2 ? Array.from({ length: rank - 1 }, (_, i) => i) : undefined;
}
