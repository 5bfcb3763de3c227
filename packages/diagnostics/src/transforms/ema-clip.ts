import * as tf from '@tensorflow/tfjs';
import { clipFactor, globalNorm, scaleAll } from '../internal/norms.js';
import {
  checkAgainstSpec,
  checkInRange,
  checkNonNegative,
  specOf,
  type TensorSpec,
} from '../internal/validate.js';
import type { GradientTransform } from './transform.js';

/** State of {@link emaClip}: the running average of the global norm, on the device. */
export interface EmaClipState {
  /** Parameter shapes by name. */
  readonly spec: TensorSpec;
  /** The exponential moving average of past (clipped) global norms; absent before the first step. */
  readonly ema?: tf.Scalar;
}

/**
 * Clips the global norm to `factor` times an exponential moving average of past norms:
 * c_t = k·m_{t−1}, g ← g · c_t / max(‖g‖, c_t), m_t = α·m_{t−1} + (1 − α)·min(‖g‖, c_t).
 *
 * The average is fed the clipped norm, so one spike does not raise the threshold for the steps
 * after it; a non-finite norm leaves the average unchanged. The first step is not clipped and
 * starts the average at its norm.
 *
 * Info: `emaClip.norm` (before clipping) and `emaClip.threshold`.
 *
 * @param alpha - α in [0, 1): the average's memory (0.99 ≈ the last hundred steps).
 * @param factor - k > 0: how far above the average a norm may go (for example 2).
 * @returns A gradient transform; call `dispose(state)` on the last state.
 * @throws InvalidArgumentError (from `@gflow/core`) for α outside [0, 1) or k ≤ 0; ShapeError when
 *   names or shapes differ from `init`'s.
 * @example
 * ```ts
 * const clip = emaClip(0.99, 2);
 * let state = clip.init(weights);
 * const r = clip.update(grads, state);
 * state = r.state;
 * ```
 * @see Zhang, He, Sra & Jadbabaie 2020, "Why gradient clipping accelerates training" (clipping
 *   relative to a typical norm).
 */
export function emaClip(alpha: number, factor: number): GradientTransform<EmaClipState> {
  checkInRange('emaClip', 'alpha', alpha, 0, 1, { hiOpen: true });
  checkNonNegative('emaClip', 'factor', factor, true);
  return {
    name: 'emaClip',
    init: (params) => ({ spec: specOf('emaClip', params) }),
    update(grads, state) {
      checkAgainstSpec('emaClip', 'grads', grads, state.spec);
      const norm = globalNorm(grads);
      const prev = state.ema;
      const threshold = tf.tidy(() =>
        prev
          ? (tf.mul(prev, factor) as tf.Scalar)
          : (tf.where(tf.isFinite(norm), norm, tf.scalar(Infinity)) as tf.Scalar),
      );
      const scale = clipFactor(norm, threshold);
      const out = scaleAll(grads, scale);
      const ema = tf.tidy(() => {
        const seen = tf.minimum(norm, threshold);
        if (!prev) return tf.where(tf.isFinite(norm), norm, tf.scalar(0)) as tf.Scalar;
        const next = tf.add(tf.mul(prev, alpha), tf.mul(seen, 1 - alpha));
        return tf.where(tf.isFinite(norm), next, prev) as tf.Scalar;
      });
      tf.keep(ema);
      scale.dispose();
      prev?.dispose();
      return {
        grads: out,
        state: { spec: state.spec, ema },
        info: { 'emaClip.norm': norm, 'emaClip.threshold': threshold },
      };
    },
    dispose(state) {
      if (state.ema && !state.ema.isDisposed) state.ema.dispose();
    },
  };
}
