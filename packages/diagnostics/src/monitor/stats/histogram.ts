import * as tf from '@tensorflow/tfjs';
import { type BatchedRead, f32, type NamedTensors } from '../../internal/tensors.js';
import type { GradientHistogram } from '../../step-record.js';
import { addToRead, type Slot } from '../slots.js';

/** The bins of the histogram over log₁₀|g|. */
export interface HistogramBins {
  readonly bins: number;
  readonly min: number;
  readonly max: number;
}

/**
 * Monitor statistic: a histogram of log₁₀|g| over every gradient entry, `bins` bins over
 * [min, max] plus an underflow (zeros included) and an overflow bin; NaN entries are dropped.
 *
 * @internal
 */
export function planHistogram(
  reader: BatchedRead,
  grads: NamedTensors,
  names: readonly string[],
  h: HistogramBins,
): Slot<GradientHistogram> {
  const { bins, min, max } = h;
  const width = (max - min) / bins;
  const counts = names.map((name) => {
    const g = tf.reshape(f32(grads[name] as tf.Tensor), [-1]);
    const lg = tf.div(tf.log(tf.abs(g)), Math.LN10);
    // Bin 0 is the underflow (zeros: log = −∞), bins + 1 the overflow; NaN is dropped.
    const raw = tf.add(tf.floor(tf.div(tf.sub(lg, min), width)), 1);
    const nan = tf.isNaN(raw);
    const valid = tf.cast(tf.logicalNot(nan), 'float32');
    const idx = tf.cast(tf.clipByValue(tf.where(nan, tf.zerosLike(raw), raw), 0, bins + 1), 'int32');
    return tf.bincount(idx as tf.Tensor1D, valid as tf.Tensor1D, bins + 2);
  });
  const at = addToRead(reader, counts.length === 1 ? (counts[0] as tf.Tensor) : tf.addN(counts));
  return {
    read(v) {
      const all = Array.from(v.subarray(at(), at() + bins + 2));
      return {
        edges: Array.from({ length: bins + 1 }, (_, i) => min + ((max - min) * i) / bins),
        counts: all.slice(1, bins + 1),
        underflow: all[0] as number,
        overflow: all[bins + 1] as number,
      };
    },
  };
}
