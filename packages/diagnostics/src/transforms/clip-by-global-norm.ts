import { clipFactor, globalNorm, scaleAll } from '../internal/norms.js';
import { checkAgainstSpec, checkNonNegative, specOf, type TensorSpec } from '../internal/validate.js';
import type { GradientTransform } from './transform.js';

/** State of {@link clipByGlobalNorm}: the names and shapes it was initialised with. */
export interface ClipByGlobalNormState {
  /** Parameter shapes by name. */
  readonly spec: TensorSpec;
}

/**
 * Scales all gradients together so that their global norm is at most `maxNorm`:
 * g ← g · c / max(‖g‖, c), with ‖g‖ = √(Σᵢ‖gᵢ‖²) over every tensor.
 *
 * Info: `clipByGlobalNorm.norm` (the global norm before clipping) and `clipByGlobalNorm.scale`.
 *
 * @param maxNorm - The largest global norm allowed, c > 0.
 * @returns A gradient transform.
 * @throws InvalidArgumentError (from `@gflow/core`) when `maxNorm` is not a finite number > 0;
 *   `update` throws ShapeError when the gradients' names or shapes differ from `init`'s.
 * @example
 * ```ts
 * const clip = clipByGlobalNorm(1);
 * const state = clip.init({ w });
 * const { grads, info } = clip.update({ w: tf.tensor1d([3, 4]) }, state);
 * // grads.w is [0.6, 0.8]; info['clipByGlobalNorm.norm'] holds 5
 * ```
 * @see Pascanu, Mikolov & Bengio 2013, "On the difficulty of training recurrent neural networks".
 */
export function clipByGlobalNorm(maxNorm: number): GradientTransform<ClipByGlobalNormState> {
  checkNonNegative('clipByGlobalNorm', 'maxNorm', maxNorm, true);
  return {
    name: 'clipByGlobalNorm',
    init: (params) => ({ spec: specOf('clipByGlobalNorm', params) }),
    update(grads, state) {
      checkAgainstSpec('clipByGlobalNorm', 'grads', grads, state.spec);
      const norm = globalNorm(grads);
      const scale = clipFactor(norm, maxNorm);
      const out = scaleAll(grads, scale);
      return { grads: out, state, info: { 'clipByGlobalNorm.norm': norm, 'clipByGlobalNorm.scale': scale } };
    },
    dispose: () => {},
  };
}
