import { readOptions } from '@gflow/core/internal';
import * as tf from '@tensorflow/tfjs';
import { globalNorm, scaleAll } from '../internal/norms.js';
import {
  checkAgainstSpec,
  checkInRange,
  checkInteger,
  checkNonNegative,
  specOf,
  type TensorSpec,
} from '../internal/validate.js';
import type { GradientTransform } from './transform.js';

/** Options of {@link zClip}. */
export interface ZClipOptions {
  /** α in [0, 1): the memory of the running mean and variance of the norm (default 0.97). */
  readonly alpha?: number;
  /** z_thr > 0: how many standard deviations above the mean a norm may go (default 2.5). */
  readonly zThreshold?: number;
  /** Steps whose norms start the statistics, unclipped (default 25). */
  readonly warmupSteps?: number;
}

/** State of {@link zClip}: the steps taken and the norm's running statistics, on the device. */
export interface ZClipState {
  /** Parameter shapes by name. */
  readonly spec: TensorSpec;
  /** Steps taken (`update` calls), counted on the host. */
  readonly steps: number;
  /** The statistics; absent before the first step. */
  readonly stats?: ZClipStats;
}

/** The running statistics of {@link zClip}'s norm (scalars on the device). */
export interface ZClipStats {
  /** Finite norms seen (those that started or moved the statistics). */
  readonly seen: tf.Scalar;
  /** The running mean μ of the (clipped) global norm. */
  readonly mean: tf.Scalar;
  /** The running variance σ² of the (clipped) global norm. */
  readonly variance: tf.Scalar;
}

/**
 * ZClip: clips the global norm when it is a z-score outlier of its own recent history. With μ, σ
 * the running mean and standard deviation of past (clipped) norms and z = (‖g‖ − μ)/σ, a step with
 * z > z_thr is scaled to the norm c = μ + (z_thr²/z)·σ (the larger the spike, the closer to μ:
 * "reciprocal" clipping), any other is left alone; then μ ← α·μ + (1 − α)·c and
 * σ² ← α·σ² + (1 − α)·(c − μ)² with the new μ, so a spike does not inflate the statistics. The
 * first `warmupSteps` steps are not clipped; the mean and population variance of their finite
 * norms start μ and σ² (no finite norm yet: the next finite one starts them).
 *
 * The test is written ‖g‖ − μ > z_thr·σ and the clipped norm μ + z_thr²σ²/(‖g‖ − μ), which is the
 * same for σ > 0 and needs no ε when σ = 0 (then any rise above μ clips to μ). A non-finite norm
 * leaves the statistics unchanged and its gradients stay non-finite (guard such steps with
 * `TrainingGuard`). Computed in float32 on the device, one norm per step, no read-back.
 *
 * Info: `zClip.norm` (before clipping) and `zClip.threshold` (the norm a step would be clipped to
 * were it a spike, μ + z_thr·σ; +∞ during warm-up).
 *
 * @param options - α, z_thr and the warm-up length.
 * @returns A gradient transform; call `dispose(state)` on the last state.
 * @throws InvalidArgumentError (from `@gflow/core`) for α outside [0, 1), z_thr ≤ 0 or a warm-up
 *   that is not an integer ≥ 1; `update` throws ShapeError when names or shapes differ from
 *   `init`'s.
 * @example
 * ```ts
 * const clip = zClip({ zThreshold: 2.5, warmupSteps: 25 });
 * let state = clip.init(weights);
 * const r = clip.update(grads, state); // r.grads: clipped only when ‖g‖ is a spike
 * state = r.state;
 * ```
 * @see Kumar, Owen, Chowdhury & Güra 2025, "ZClip: Adaptive Spike Mitigation for LLM
 *   Pre-Training" (arXiv:2504.02507).
 */
export function zClip(options?: ZClipOptions): GradientTransform<ZClipState> {
  const o = readOptions('zClip', options);
  const alpha = checkInRange('zClip', 'options.alpha', o.alpha ?? 0.97, 0, 1, { hiOpen: true });
  const z = checkNonNegative('zClip', 'options.zThreshold', o.zThreshold ?? 2.5, true);
  const warmup = checkInteger('zClip', 'options.warmupSteps', o.warmupSteps ?? 25, 1);
  return {
    name: 'zClip',
    init: (params) => ({ spec: specOf('zClip', params), steps: 0 }),
    update(grads, state) {
      checkAgainstSpec('zClip', 'grads', grads, state.spec);
      const norm = globalNorm(grads);
      const step = tf.tidy(() => {
        const s = state.stats ?? { seen: tf.scalar(0), mean: tf.scalar(0), variance: tf.scalar(0) };
        const r = state.steps < warmup ? warmupStep(norm, s) : clipStep(norm, s, alpha, z);
        return { ...r, seen: tf.add(s.seen, tf.cast(tf.isFinite(norm), 'float32')) as tf.Scalar };
      });
      const out = scaleAll(grads, step.scale);
      step.scale.dispose();
      if (state.stats) tf.dispose([state.stats.seen, state.stats.mean, state.stats.variance]);
      const stats = { seen: step.seen, mean: step.mean, variance: step.variance };
      return {
        grads: out,
        state: { spec: state.spec, steps: state.steps + 1, stats },
        info: { 'zClip.norm': norm, 'zClip.threshold': step.threshold },
      };
    },
    dispose(state) {
      if (state.stats) tf.dispose([state.stats.seen, state.stats.mean, state.stats.variance]);
    },
  };
}

/** What one step computes (inside the caller's `tidy`). */
interface Step {
  readonly scale: tf.Scalar;
  readonly mean: tf.Scalar;
  readonly variance: tf.Scalar;
  readonly threshold: tf.Scalar;
}

/**
 * A warm-up step: no clipping; the k-th finite norm x moves the mean and population variance
 * (Welford): μ ← μ + (x − μ)/k, σ² ← σ² + ((x − μ_old)(x − μ) − σ²)/k.
 */
function warmupStep(norm: tf.Scalar, s: ZClipStats): Step {
  const k = tf.add(s.seen, 1);
  const mean = tf.add(s.mean, tf.div(tf.sub(norm, s.mean), k));
  const moved = tf.mul(tf.sub(norm, s.mean), tf.sub(norm, mean));
  const variance = tf.add(s.variance, tf.div(tf.sub(moved, s.variance), k));
  const finite = tf.isFinite(norm);
  return {
    scale: tf.scalar(1),
    mean: tf.where(finite, mean, s.mean) as tf.Scalar,
    variance: tf.where(finite, variance, s.variance) as tf.Scalar,
    threshold: tf.scalar(Number.POSITIVE_INFINITY),
  };
}

/**
 * A step after warm-up: a norm x with x − μ > z·σ is clipped to c = μ + z²σ²/(x − μ), any other
 * kept (c = x); then μ ← α·μ + (1 − α)·c, σ² ← α·σ² + (1 − α)·(c − μ)². With no finite norm seen
 * yet, a finite one starts the statistics (μ = x, σ² = 0) instead.
 */
function clipStep(norm: tf.Scalar, s: ZClipStats, alpha: number, z: number): Step {
  const { mean: mu, variance: v } = s;
  const ready = tf.greater(s.seen, 0);
  const excess = tf.sub(norm, mu);
  const threshold = tf.add(mu, tf.mul(z, tf.sqrt(v)));
  const spike = tf.logicalAnd(ready, tf.greater(norm, threshold));
  const clipped = tf.add(mu, tf.div(tf.mul(z * z, v), excess));
  const c = tf.where(spike, clipped, norm);
  const mean = tf.where(ready, tf.add(tf.mul(mu, alpha), tf.mul(c, 1 - alpha)), norm);
  const moved = tf.add(tf.mul(v, alpha), tf.mul(tf.square(tf.sub(c, mean)), 1 - alpha));
  const variance = tf.where(ready, moved, tf.zerosLike(v));
  const finite = tf.isFinite(norm);
  return {
    scale: tf.where(spike, tf.div(clipped, norm), tf.scalar(1)) as tf.Scalar,
    mean: tf.where(finite, mean, mu) as tf.Scalar,
    variance: tf.where(finite, variance, v) as tf.Scalar,
    threshold: tf.where(ready, threshold, tf.scalar(Number.POSITIVE_INFINITY)) as tf.Scalar,
  };
}
