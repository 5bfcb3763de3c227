import { checkAllocation } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { clipFactor, globalNorm, scaleAll } from '../internal/norms.js';
import {
  checkAgainstSpec,
  checkInRange,
  checkInteger,
  specOf,
  type TensorSpec,
} from '../internal/validate.js';
import type { GradientTransform } from './transform.js';

/** State of {@link autoClip}: the recent global norms, kept on the device. */
export interface AutoClipState {
  /** Parameter shapes by name. */
  readonly spec: TensorSpec;
  /** The last `historyLength` global norms, oldest first (only the last `count` are filled). */
  readonly history: tf.Tensor1D;
  /** How many entries of `history` are filled. */
  readonly count: number;
}

/**
 * AutoClip: clips the global norm to the p-th percentile of the global norms seen so far (the
 * current one included), so that the threshold adapts to the run: g ← g · c / max(‖g‖, c),
 * c = percentile_p(‖g₁‖, …, ‖g_t‖) over the last `historyLength` steps.
 *
 * The percentile interpolates linearly between order statistics (numpy's default). The history
 * and the percentile stay on the device: no read-back. A non-finite norm is not added to the
 * history (the largest finite norm so far is stored in its place).
 *
 * Info: `autoClip.norm` (before clipping) and `autoClip.threshold`.
 *
 * @param percentile - p in (0, 100]; Seetharaman et al. found 10 works across tasks.
 * @param historyLength - How many recent norms to keep (an integer ≥ 1; default 1000).
 * @returns A gradient transform; call `dispose(state)` on the last state.
 * @throws InvalidArgumentError (from `@gflow/core`) for a percentile outside (0, 100] or a bad
 *   history length; ShapeError when names or shapes differ from `init`'s.
 * @example
 * ```ts
 * const clip = autoClip(10, 1000);
 * let state = clip.init(weights);
 * const r = clip.update(grads, state);
 * state = r.state;
 * ```
 * @see Seetharaman, Wichern, Pardo & Le Roux 2020, "AutoClip: Adaptive Gradient Clipping for
 *   Source Separation Networks".
 */
export function autoClip(percentile: number, historyLength = 1000): GradientTransform<AutoClipState> {
  checkInRange('autoClip', 'percentile', percentile, 0, 100, { loOpen: true });
  checkInteger('autoClip', 'historyLength', historyLength, 1);
  // the history is one float32 tensor of historyLength norms, made by init
  checkAllocation('autoClip', 'history values', historyLength, 4);
  return {
    name: 'autoClip',
    init: (params) => ({
      spec: specOf('autoClip', params),
      history: tf.keep(tf.zeros([historyLength]) as tf.Tensor1D),
      count: 0,
    }),
    update(grads, state) {
      checkAgainstSpec('autoClip', 'grads', grads, state.spec);
      const norm = globalNorm(grads);
      const count = Math.min(state.count + 1, historyLength);
      const [history, threshold] = tf.tidy(() => {
        const old = state.history;
        const finiteMax = state.count === 0 ? tf.scalar(0) : tf.max(old.slice(historyLength - state.count));
        const stored = tf.where(tf.isFinite(norm), norm, finiteMax);
        const next = tf.concat([old.slice(1), tf.reshape(stored, [1])]) as tf.Tensor1D;
        const valid = next.slice(historyLength - count);
        const desc = tf.topk(valid, count).values; // descending
        const rank = (percentile / 100) * (count - 1); // ascending rank, numpy 'linear'
        const lo = Math.floor(rank);
        const hi = Math.ceil(rank);
        const at = (i: number) => tf.reshape(desc.slice(count - 1 - i, 1), []);
        const c = tf.add(at(lo), tf.mul(tf.sub(at(hi), at(lo)), rank - lo)) as tf.Scalar;
        return [tf.keep(next), c] as const;
      });
      const scale = clipFactor(norm, threshold);
      const out = scaleAll(grads, scale);
      scale.dispose();
      state.history.dispose();
      return {
        grads: out,
        state: { spec: state.spec, history, count },
        info: { 'autoClip.norm': norm, 'autoClip.threshold': threshold },
      };
    },
    dispose(state) {
      if (!state.history.isDisposed) state.history.dispose();
    },
  };
}
