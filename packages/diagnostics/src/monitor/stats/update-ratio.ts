import * as tf from '@tensorflow/tfjs';
import { scaledPairs } from '../../internal/norms.js';
import { f32 } from '../../internal/tensors.js';
import { type Pair, type ParamParts, pairAt, type Slot, squared } from '../slots.js';

/**
 * Monitor statistic: ‖Δθ‖ of this step's update as a scale-safe pair (computed on the device), for
 * the update ratio ‖Δθ‖/‖θ‖ (CS231n): {@link updateRatioOf}.
 *
 * @internal
 */
export function planUpdate(from: tf.Tensor, to: tf.Tensor, parts: ParamParts): Slot<Pair> {
  return pairAt(parts.add(scaledPairs({ d: tf.sub(f32(to), f32(from)) }, ['d'], false)));
}

/** ‖Δθ‖/‖θ‖, or null without a positive weight norm. */
export function updateRatioOf(update: Pair, weightNorm: number | null): number | null {
  return weightNorm !== null && weightNorm > 0 ? Math.sqrt(squared(update)) / weightNorm : null;
}
