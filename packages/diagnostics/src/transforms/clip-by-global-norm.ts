import * as tf from '@tensorflow/tfjs';
import {
  clipFactorFromPairs,
  hostNormAndClipFactor,
  normFromPairs,
  pairsOf,
  pairsOnHost,
  scaleAll,
} from '../internal/norms.js';
import { withNormsPath } from '../internal/norms-path.js';
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
 * The norm is scale-safe (each tensor's largest magnitude is divided out before squaring, as BLAS
 * `nrm2` does), so gradients of norm 1e-30 or 1e+30 are measured and clipped exactly instead of
 * underflowing to 0 or overflowing to ∞ in a float32 Σg²; the factor is formed as (c/√S)/M so it
 * stays right even past float32's largest value. `info['clipByGlobalNorm.norm']` is a float32
 * scalar: ∞ only when the norm itself exceeds 3.4e38.
 *
 * Info: `clipByGlobalNorm.norm` (the global norm before clipping) and `clipByGlobalNorm.scale`.
 *
 * Inside `trainStep` and `instrument`, which compute every gradient's scaled pair once per step,
 * it takes its norm from those pairs: no gradient is reduced again. A copy whose `update` is
 * replaced runs that `update` instead.
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
  const clip = (
    grads: NamedTensors,
    pairs: tf.Tensor1D,
    state: ClipByGlobalNormState,
  ): TransformResult<ClipByGlobalNormState> => {
    if (pairsOnHost()) {
      // The pairs were made on the host: norm and factor in float64 there, and no product at all
      // when nothing is clipped.
      const { norm, factor } = hostNormAndClipFactor(pairs.dataSync(), maxNorm);
      const out: Record<string, tf.Tensor> = {};
      for (const [k, g] of Object.entries(grads)) out[k] = factor === 1 ? tf.clone(g) : tf.mul(g, factor);
      return {
        grads: out,
        state,
        info: { 'clipByGlobalNorm.norm': tf.scalar(norm), 'clipByGlobalNorm.scale': tf.scalar(factor) },
      };
    }
    const norm = normFromPairs(pairs);
    const scale = clipFactorFromPairs(pairs, maxNorm);
    const out = scaleAll(grads, scale);
    return { grads: out, state, info: { 'clipByGlobalNorm.norm': norm, 'clipByGlobalNorm.scale': scale } };
  };
  const update: GradientTransform<ClipByGlobalNormState>['update'] = (grads, state) => {
    checkAgainstSpec('clipByGlobalNorm', 'grads', grads, state.spec);
    const pairs = pairsOf(grads);
    try {
      return clip(grads, pairs, state);
    } finally {
      pairs.dispose();
    }
  };
  // Given the step's shared norms, no gradient is reduced again (tied to this very `update`).
  withNormsPath(update, (grads, sqNorms, state) => {
    checkAgainstSpec('clipByGlobalNorm', 'grads', grads, state.spec);
    checkSquaredNorms('clipByGlobalNorm', grads, sqNorms);
    return clip(grads, sqNorms.pairs, state);
  });
  return {
    name: 'clipByGlobalNorm',
    init: (params) => ({ spec: specOf('clipByGlobalNorm', params) }),
    update,
    dispose: () => {},
  };
}
