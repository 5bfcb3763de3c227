import * as tf from '@tensorflow/tfjs';
import { f32 } from '../../internal/tensors.js';
import { type ParamParts, type Slot, valueAt } from '../slots.js';
import type { ScaledGradient } from './gradient-scale.js';
import { dot } from './moments.js';

/**
 * Monitor statistic: one parameter's share of cos(g_t, g_{t−1}), the dot product
 * Σ (g/m)(g'/m') of this step's scaled gradient with the previous step's, each divided by its own
 * scale (m' is kept from the previous step). The host multiplies it back by m·m' and divides the
 * sum over parameters by ‖g_t‖·‖g_{t−1}‖: {@link cosineOf}.
 *
 * @internal
 */
export function planCosine(
  scaled: ScaledGradient,
  previous: tf.Tensor,
  previousScale: number,
  parts: ParamParts,
): Slot<number> {
  return valueAt(parts.add(dot(scaled.gs, tf.div(f32(previous), previousScale))));
}

/** cos(g_t, g_{t−1}) from the unscaled dot product and the two squared global norms. */
export function cosineOf(dotProduct: number, normSq: number, previousNormSq: number): number {
  return dotProduct / Math.sqrt(normSq * previousNormSq);
}
