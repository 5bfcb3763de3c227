import * as tf from '@tensorflow/tfjs';
import type { CentralSums } from '../../internal/moments.js';
import { type Pair, type ParamParts, type Slot, valuesAt } from '../slots.js';
import type { ScaledGradient } from './gradient-scale.js';

/** Σ(x·y) as a [1] vector, Σx² when `a` is `b`. */
export function dot(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.reshape(tf.sum(a === b ? tf.square(a) : tf.mul(a, b)), [1]);
}

/**
 * Monitor statistic: mean, variance, skewness and excess kurtosis of a gradient's entries, from
 * the power sums Σ(g/m), Σ(g/m)³, Σ(g/m)⁴ of the scaled gradient (Σ(g/m)² is the scale's pair).
 *
 * @internal
 */
export function planMoments(scaled: ScaledGradient, parts: ParamParts): Slot<Float64Array> {
  const { gs, gs2 } = scaled;
  return valuesAt(parts.add(tf.reshape(tf.sum(gs), [1]), dot(gs2, gs), dot(gs2, gs2)), 3);
}

/**
 * The central sums of n entries from their scale's pair [m, s₂] and the power sums [s₁, s₃, s₄]
 * of g/m, in float64, back in g's units (the p-th central sum scales by mᵖ).
 *
 * @internal
 */
export function centralSums(n: number, scale: Pair, sums: Float64Array): CentralSums {
  const m = scale.m;
  const s2 = scale.s;
  const mu = (sums[0] as number) / n;
  const s3 = sums[1] as number;
  const s4 = sums[2] as number;
  return {
    n,
    mean: m * mu,
    m2: m * m * Math.max(0, s2 - n * mu * mu),
    m3: m ** 3 * (s3 - 3 * mu * s2 + 2 * n * mu ** 3),
    m4: m ** 4 * Math.max(0, s4 - 4 * mu * s3 + 6 * mu * mu * s2 - 3 * n * mu ** 4),
  };
}
