import { InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { unitAxes, unitNorms } from '../internal/norms.js';
import { f32 } from '../internal/tensors.js';
import { checkAgainstSpec, checkNonNegative, specOf, type TensorSpec } from '../internal/validate.js';
import type { GradientTransform } from './transform.js';

/** State of {@link adaptiveGradientClip}: the names and shapes it was initialised with. */
export interface AdaptiveGradientClipState {
  /** Parameter shapes by name. */
  readonly spec: TensorSpec;
}

/**
 * Unit-wise adaptive gradient clipping (AGC): each unit's gradient is clipped relative to the
 * unit's weight norm, Gᵢ ← Gᵢ · λ·max(‖Wᵢ‖, ε) / ‖Gᵢ‖ when ‖Gᵢ‖ / max(‖Wᵢ‖, ε) > λ.
 *
 * A unit is one entry of the last axis: a dense kernel [in, out] has one unit per output column,
 * a conv kernel [h, w, in, out] (HWIO) one per output channel; a bias (or any vector or scalar)
 * is one unit. `update` needs `params` (the current weights).
 *
 * Info: `adaptiveGradientClip.fraction`, the fraction of units clipped.
 *
 * @param clipping - λ > 0, the largest allowed ratio ‖Gᵢ‖/‖Wᵢ‖ (0.01 in Brock et al. for batch 4096).
 * @param eps - ε ≥ 0 (default 1e-3), the floor on the weight norm, so that zero-initialised
 *   weights can still move.
 * @returns A gradient transform.
 * @throws InvalidArgumentError (from `@gflow/core`) for λ ≤ 0 or ε < 0, or when `update` gets no
 *   `params`; ShapeError when names or shapes differ from `init`'s.
 * @example
 * ```ts
 * const agc = adaptiveGradientClip(0.01);
 * const state = agc.init(weights);
 * const { grads } = agc.update(rawGrads, state, weights);
 * ```
 * @see Brock, De, Smith & Simonyan 2021, "High-Performance Large-Scale Image Recognition Without
 *   Normalization" (NFNets).
 */
export function adaptiveGradientClip(
  clipping: number,
  eps = 1e-3,
): GradientTransform<AdaptiveGradientClipState> {
  checkNonNegative('adaptiveGradientClip', 'clipping', clipping, true);
  checkNonNegative('adaptiveGradientClip', 'eps', eps);
  return {
    name: 'adaptiveGradientClip',
    init: (params) => ({ spec: specOf('adaptiveGradientClip', params) }),
    update(grads, state, params) {
      checkAgainstSpec('adaptiveGradientClip', 'grads', grads, state.spec);
      if (params == null) {
        throw new InvalidArgumentError(
          'adaptiveGradientClip: params must be given to update (the current weights), got undefined',
        );
      }
      checkAgainstSpec('adaptiveGradientClip', 'params', params, state.spec);
      const out: Record<string, tf.Tensor> = {};
      const counts: tf.Scalar[] = [];
      let units = 0;
      for (const [k, g] of Object.entries(grads)) {
        const w = params[k] as tf.Tensor;
        const axes = unitAxes(g.rank);
        units += g.rank >= 2 ? (g.shape[g.rank - 1] as number) : 1;
        tf.tidy(() => {
          const keep = g.rank >= 2;
          // Scale-safe unit norms: a float32 Σg² would say 0 for a unit of 1e-20 gradients.
          const gNorm = unitNorms(g, axes, keep);
          const wNorm = tf.maximum(unitNorms(w, axes, keep), eps);
          const maxNorm = tf.mul(wNorm, clipping);
          const trigger = tf.greater(gNorm, maxNorm);
          // As in the reference implementation: divide by max(‖G‖, 1e-6) to stay finite.
          const clipped = tf.mul(g, tf.div(maxNorm, tf.maximum(gNorm, 1e-6)));
          out[k] = tf.keep(tf.where(tf.broadcastTo(trigger, g.shape), clipped, g));
          counts.push(tf.keep(tf.sum(f32(trigger))));
        });
      }
      const fraction = tf.tidy(() =>
        counts.length === 0 ? tf.scalar(0) : (tf.div(tf.addN(counts), Math.max(units, 1)) as tf.Scalar),
      );
      tf.dispose(counts);
      return { grads: out, state, info: { 'adaptiveGradientClip.fraction': fraction } };
    },
    dispose: () => {},
  };
}
