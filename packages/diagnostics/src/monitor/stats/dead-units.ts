import * as tf from '@tensorflow/tfjs';
import { type ParamParts, type Slot, valueAt } from '../slots.js';
import type { ScaledGradient } from './gradient-scale.js';

/**
 * Monitor statistic: the fraction of units (the last axis of a kernel, rank ≥ 2) whose gradient
 * is exactly zero. (g/m)² is zero exactly where g is (m ≥ 2⁻¹²⁶), so tiny gradients are not
 * counted as dead.
 *
 * @internal
 */
export function planDeadUnits(rank: number, scaled: ScaledGradient, parts: ParamParts): Slot<number> {
  const axes = Array.from({ length: rank - 1 }, (_, i) => i);
  return valueAt(
    parts.add(tf.reshape(tf.mean(tf.cast(tf.equal(tf.sum(scaled.gs2, axes), 0), 'float32')), [1])),
  );
}
