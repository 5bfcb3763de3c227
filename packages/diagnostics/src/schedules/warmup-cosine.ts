import { InvalidArgumentError } from '@gflow/core';
import { checkOptions, checkRate, checkStep, checkSteps } from '../internal/schedule-checks.js';
import type { Schedule } from './schedule.js';

/** Options of {@link warmupCosine} and {@link warmupLinear}. */
export interface WarmupOptions {
  /** η_peak, the rate at the end of the warmup (finite, ≥ 0). */
  readonly peak: number;
  /** W, the number of warmup steps (integer ≥ 0; 0 starts at the peak). */
  readonly warmupSteps: number;
  /**
   * T, the step at which the decay ends, counted from step 0 and so including the warmup (optax's
   * `decay_steps`); an integer > W.
   */
  readonly totalSteps: number;
  /** η_0, the rate at step 0 (default 0). */
  readonly init?: number;
  /** η_end, the rate from step T on (default 0). */
  readonly end?: number;
}

/** Reads and checks the options shared by the warmup schedules. */
export function readWarmup(fn: string, options: WarmupOptions) {
  checkOptions(fn, options);
  const peak = checkRate(fn, 'options.peak', options.peak);
  const warmup = checkSteps(fn, 'options.warmupSteps', options.warmupSteps, 0);
  const total = checkSteps(fn, 'options.totalSteps', options.totalSteps, 1);
  if (total <= warmup) {
    throw new InvalidArgumentError(
      `${fn}: options.totalSteps must be > options.warmupSteps (${warmup}), got ${total}`,
    );
  }
  const init = checkRate(fn, 'options.init', options.init ?? 0);
  const end = checkRate(fn, 'options.end', options.end ?? 0);
  return { peak, warmup, total, init, end };
}

/**
 * Linear warmup, then cosine decay: the standard schedule for transformers, whose early
 * gradients (post-norm especially) are too unstable for the full rate.
 *
 * With W warmup steps and decay ending at step T:
 * η_t = η_0 + (η_peak − η_0)·t/W for t < W;
 * η_t = η_end + (η_peak − η_end)·½(1 + cos(π(t − W)/(T − W))) for W ≤ t < T;
 * η_t = η_end for t ≥ T.
 * So η_0 at t = 0, η_peak at t = W, η_end at t = T (optax's `warmup_cosine_decay_schedule` with
 * exponent 1).
 *
 * @param options - `peak`, `warmupSteps`, `totalSteps`, `init` (0), `end` (0).
 * @returns A {@link Schedule}.
 * @throws InvalidArgumentError (from `@gflow/core`) when a rate is not a finite number ≥ 0, a step
 *   count is not an integer, or totalSteps ≤ warmupSteps; from the schedule, when the step is not
 *   an integer ≥ 0.
 * @example
 * ```ts
 * const s = warmupCosine({ peak: 1e-3, warmupSteps: 100, totalSteps: 1000 });
 * s(0); // 0
 * s(50); // 5e-4
 * s(100); // 1e-3
 * s(550); // 5e-4 (half way through the cosine)
 * s(1000); // 0
 * const opt = instrument(tf.train.adam(1e-3), { schedule: s });
 * ```
 * @see Loshchilov & Hutter 2017, "SGDR: Stochastic Gradient Descent with Warm Restarts" (cosine);
 *   Goyal et al. 2017, "Accurate, Large Minibatch SGD" (linear warmup); Xiong et al. 2020, "On
 *   Layer Normalization in the Transformer Architecture" (why post-norm needs warmup).
 */
export function warmupCosine(options: WarmupOptions): Schedule {
  const fn = 'warmupCosine';
  const { peak, warmup, total, init, end } = readWarmup(fn, options);
  return (step) => {
    const t = checkStep(fn, step);
    if (t < warmup) return init + ((peak - init) * t) / warmup;
    if (t >= total) return end;
    return end + (peak - end) * 0.5 * (1 + Math.cos((Math.PI * (t - warmup)) / (total - warmup)));
  };
}
