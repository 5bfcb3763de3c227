import * as tf from '@tensorflow/tfjs';
import { clipFactor, globalNorm, scaleAll } from '../internal/norms.js';
import {
  checkAgainstSpec,
  checkNonNegative,
  checkSquaredNorms,
  specOf,
  type TensorSpec,
} from '../internal/validate.js';
import type { GradientTransform, NamedTensors, TransformResult } from './transform.js';

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
 * It implements `updateWithNorms`: given the gradients' squared norms (a `SquaredNorms`, which
 * `trainStep` and `instrument` compute once per step), ‖g‖ is √(Σ sqNorms.values) and no gradient
 * is squared again.
 *
 * @param maxNorm - The largest global norm allowed, c > 0.
 * @returns A gradient transform.
 * @throws InvalidArgumentError (from `@gflow/core`) when `maxNorm` is not a finite number > 0;
 *   `update` throws ShapeError when the gradients' names or shapes differ from `init`'s;
 *   `updateWithNorms` also throws InvalidArgumentError when `sqNorms` does not name exactly the
 *   gradients.
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
  const clip = (
    grads: NamedTensors,
    norm: tf.Scalar,
    state: ClipByGlobalNormState,
  ): TransformResult<ClipByGlobalNormState> => {
    const scale = clipFactor(norm, maxNorm);
    const out = scaleAll(grads, scale);
    return { grads: out, state, info: { 'clipByGlobalNorm.norm': norm, 'clipByGlobalNorm.scale': scale } };
  };
  return {
    name: 'clipByGlobalNorm',
    init: (params) => ({ spec: specOf('clipByGlobalNorm', params) }),
    update(grads, state) {
      checkAgainstSpec('clipByGlobalNorm', 'grads', grads, state.spec);
      return clip(grads, globalNorm(grads), state);
    },
    updateWithNorms(grads, sqNorms, state) {
      checkAgainstSpec('clipByGlobalNorm', 'grads', grads, state.spec);
      checkSquaredNorms('clipByGlobalNorm.updateWithNorms', grads, sqNorms);
      return clip(
        grads,
        tf.tidy(() => tf.sqrt(tf.sum(sqNorms.values)) as tf.Scalar),
        state,
      );
    },
    dispose: () => {},
  };
}
