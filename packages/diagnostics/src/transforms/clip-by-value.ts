import * as tf from '@tensorflow/tfjs';
import { checkAgainstSpec, checkNonNegative, specOf, type TensorSpec } from '../internal/validate.js';
import type { GradientTransform } from './transform.js';

/** State of {@link clipByValue}: the names and shapes it was initialised with. */
export interface ClipByValueState {
  /** Parameter shapes by name. */
  readonly spec: TensorSpec;
}

/**
 * Clips every gradient entry to [−c, c]: gᵢ ← min(max(gᵢ, −c), c).
 *
 * Info: `clipByValue.fraction`, the fraction of entries that were clipped.
 *
 * @param maxValue - The largest absolute value allowed, c > 0.
 * @returns A gradient transform.
 * @throws InvalidArgumentError (from `@gflow/core`) when `maxValue` is not a finite number > 0;
 *   `update` throws ShapeError when the gradients' names or shapes differ from `init`'s.
 * @example
 * ```ts
 * const clip = clipByValue(1);
 * const { grads } = clip.update({ w: tf.tensor1d([3, -0.5, -4]) }, clip.init({ w }));
 * // grads.w is [1, -0.5, -1]
 * ```
 * @see Mikolov 2012, "Statistical language models based on neural networks" (value clipping).
 */
export function clipByValue(maxValue: number): GradientTransform<ClipByValueState> {
  checkNonNegative('clipByValue', 'maxValue', maxValue, true);
  return {
    name: 'clipByValue',
    init: (params) => ({ spec: specOf('clipByValue', params) }),
    update(grads, state) {
      checkAgainstSpec('clipByValue', 'grads', grads, state.spec);
      const out: Record<string, tf.Tensor> = {};
      for (const [k, g] of Object.entries(grads)) out[k] = tf.clipByValue(g, -maxValue, maxValue);
      const fraction = tf.tidy(() => {
        const gs = Object.values(grads);
        if (gs.length === 0) return tf.scalar(0);
        const counts = gs.map((g) => tf.sum(tf.cast(tf.greater(tf.abs(g), maxValue), 'float32')));
        const total = gs.reduce((n, g) => n + g.size, 0);
        return tf.div(tf.addN(counts), Math.max(total, 1)) as tf.Scalar;
      });
      return { grads: out, state, info: { 'clipByValue.fraction': fraction } };
    },
    dispose: () => {},
  };
}
