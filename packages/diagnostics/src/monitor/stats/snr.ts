import { InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { SCALE_FLOOR } from '../../internal/norms.js';
import { type BatchedRead, f32, type NamedTensors } from '../../internal/tensors.js';
import { addToRead, type Slot } from '../slots.js';

/**
 * Monitor statistic: the gradient signal-to-noise ratio from k ≥ 2 micro-batches,
 * SNR = ‖ḡ‖² / tr Σ̂ with Σ̂ the unbiased covariance of the micro-batch gradients. Per name the
 * triple [m, Σ(ḡ/m)², Σ((g−ḡ)/m)²/(k−1)] with m the largest magnitude, summed on the host in
 * float64. When every micro-batch gradient is zero (signal and noise both 0) the ratio is 0/0 and
 * the slot reads `null`, never NaN; identical non-zero micro-batches give `Infinity` (no noise).
 *
 * @internal
 * @see Liu et al. 2020, "Understanding Why Neural Networks Generalize Well Through GSNR of Parameters".
 */
export function planSnr(
  reader: BatchedRead,
  names: readonly string[],
  microBatches: readonly NamedTensors[],
): Slot<number | null> {
  const k = microBatches.length;
  const perName = names.map((name) => {
    const gs = microBatches.map((m, i) => {
      const t = m[name];
      if (!t) {
        throw new InvalidArgumentError(
          `GradientMonitor.record: input.microBatchGrads[${i}] must have every name of grads, got none for ${JSON.stringify(name)}`,
        );
      }
      return tf.reshape(f32(t), [-1]);
    });
    const stacked = tf.stack(gs);
    const m = tf.maximum(tf.max(tf.abs(stacked)), SCALE_FLOOR);
    const scaled = tf.div(stacked, m);
    const mean = tf.mean(scaled, 0);
    return tf.stack([m, tf.sum(tf.square(mean)), tf.div(tf.sum(tf.square(tf.sub(scaled, mean))), k - 1)]);
  });
  const at = addToRead(reader, perName.length === 1 ? (perName[0] as tf.Tensor) : tf.concat(perName));
  return {
    read(v) {
      let signal = 0;
      let noise = 0;
      for (let i = 0; i < names.length; i++) {
        const m = v[at() + 3 * i] as number;
        signal += m * m * (v[at() + 3 * i + 1] as number);
        noise += m * m * (v[at() + 3 * i + 2] as number);
      }
      return signal === 0 && noise === 0 ? null : signal / noise;
    },
  };
}
