import * as tf from '@tensorflow/tfjs';
import { clipFactorFromPairs, normFromPairs, scaledPair } from '../internal/norms.js';
import { checkAgainstSpec, checkNonNegative, specOf, type TensorSpec } from '../internal/validate.js';
import type { GradientTransform } from './transform.js';

/** State of {@link clipByNorm}: the names and shapes it was initialised with. */
export interface ClipByNormState {
  /** Parameter shapes by name. */
  readonly spec: TensorSpec;
}

/**
 * Clips each gradient tensor on its own to norm at most c: gᵢ ← gᵢ · c / max(‖gᵢ‖, c).
 *
 * Info: `clipByNorm.clipped`, the number of tensors whose norm exceeded c.
 *
 * @param maxNorm - The largest norm allowed per tensor, c > 0.
 * @returns A gradient transform.
 * @throws InvalidArgumentError (from `@gflow/core`) when `maxNorm` is not a finite number > 0;
 *   `update` throws ShapeError when the gradients' names or shapes differ from `init`'s.
 * @example
 * ```ts
 * const clip = clipByNorm(1);
 * const { grads } = clip.update({ a: tf.tensor1d([3, 4]), b: tf.tensor1d([0.1]) }, clip.init(params));
 * // grads.a is [0.6, 0.8]; grads.b is unchanged
 * ```
 * @see Pascanu, Mikolov & Bengio 2013.
 */
export function clipByNorm(maxNorm: number): GradientTransform<ClipByNormState> {
  checkNonNegative('clipByNorm', 'maxNorm', maxNorm, true);
  return {
    name: 'clipByNorm',
    init: (params) => ({ spec: specOf('clipByNorm', params) }),
    update(grads, state) {
      checkAgainstSpec('clipByNorm', 'grads', grads, state.spec);
      const out: Record<string, tf.Tensor> = {};
      const flags: tf.Scalar[] = [];
      for (const [k, g] of Object.entries(grads)) {
        tf.tidy(() => {
          // Scale-safe: the largest magnitude is divided out before squaring.
          const pair = scaledPair(g);
          const n = normFromPairs(pair);
          out[k] = tf.keep(tf.mul(g, clipFactorFromPairs(pair, maxNorm)));
          flags.push(tf.keep(tf.cast(tf.greater(n, maxNorm), 'float32') as tf.Scalar));
        });
      }
      const clipped = tf.tidy(() => (flags.length === 0 ? tf.scalar(0) : (tf.addN(flags) as tf.Scalar)));
      tf.dispose(flags);
      return { grads: out, state, info: { 'clipByNorm.clipped': clipped } };
    },
    dispose: () => {},
  };
}
