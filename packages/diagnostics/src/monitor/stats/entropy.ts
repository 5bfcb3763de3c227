import * as tf from '@tensorflow/tfjs';
import { booleanOption, type ParameterStat } from '../parameter-stat.js';

/** The entropy option of `GradientMonitorOptions`. */
export interface EntropyOptions {
  /**
   * The information content of each parameter's gradient, H = −Σ p ln p with p = |g|/Σ|g|
   * (`ParameterRecord.entropy`; see `gradientEntropy`), in the same read-back (default false:
   * about five more element-wise kernels per parameter and step).
   */
  readonly entropy?: boolean;
}

/** The entropy field of `ParameterRecord`. */
export interface EntropyFields {
  /**
   * With the monitor's `entropy` option: H = −Σ p_i ln p_i of p_i = |g_i|/Σ|g_j| in nats (ln n when
   * the gradient is spread evenly over its n entries, 0 when one entry holds it all); `null` for an
   * all-zero gradient.
   */
  readonly entropy?: number | null;
}

/**
 * Monitor statistic: the information content of the gradient, H = −Σ p_i ln p_i with
 * p_i = |g_i| / Σ_j |g_j| (as `gradientEntropy`), taken of g/m so that it is the same at every
 * magnitude (p does not depend on the scale). Two values per parameter: [Σ|g/m|, H]; an all-zero
 * gradient (Σ = 0) reads as `null`. Summed in float32 on the device: relative error about 1e-6
 * per thousand elements, far below what the statistic is read for.
 */
export const entropyStat: ParameterStat<EntropyOptions, EntropyFields, true, number | null> = {
  option: 'entropy',
  resolve: booleanOption(false),
  plan({ scaled, parts }) {
    const a = tf.abs(scaled().gs);
    const total = tf.sum(a);
    // p = a / Σa, and p·ln p with 0·ln 0 = 0 (a zero element adds nothing).
    const p = tf.div(a, tf.maximum(total, Number.MIN_VALUE));
    const plogp = tf.where(
      tf.greater(p, 0),
      tf.mul(p, tf.log(tf.maximum(p, Number.MIN_VALUE))),
      tf.zerosLike(p),
    );
    const at = parts.add(tf.reshape(total, [1]), tf.reshape(tf.neg(tf.sum(plogp)), [1]));
    return {
      read: (v) => ((v[at()] as number) > 0 ? Math.max(0, v[at() + 1] as number) : null),
    };
  },
  decode: (entropy) => ({ entropy }),
};
