import { describeValue, InvalidArgumentError } from '@gflow/core';
import { checkOptions, checkRate, checkStep, checkSteps } from '../internal/schedule-checks.js';
import type { Schedule } from './schedule.js';

/** Options of {@link exponentialDecay}. */
export interface ExponentialDecayOptions {
  /** η_0, the rate up to the start of the decay (finite, ≥ 0). */
  readonly init: number;
  /** r, the factor per `transitionSteps` steps (finite, > 0; < 1 decays, > 1 grows). */
  readonly decayRate: number;
  /** K, the number of steps over which the rate is multiplied by r (integer ≥ 1). */
  readonly transitionSteps: number;
  /** t₀, the step at which the decay starts (integer ≥ 0, default 0). */
  readonly transitionBegin?: number;
  /** Decay in whole stages, ⌊(t − t₀)/K⌋, instead of continuously (default false: step decay). */
  readonly staircase?: boolean;
  /** A bound the rate does not pass: a floor when r < 1, a ceiling when r > 1 (default none). */
  readonly end?: number;
}

/**
 * Exponential (or, with `staircase`, step) decay: η_t = η_0 · r^{(t − t₀)/K} for t > t₀ and η_0
 * before, with the exponent floored to ⌊(t − t₀)/K⌋ when `staircase`, and bounded by `end`
 * (optax's `exponential_decay`).
 *
 * @param options - `init`, `decayRate`, `transitionSteps`, `transitionBegin` (0), `staircase`
 *   (false), `end` (none).
 * @returns A {@link Schedule}.
 * @throws InvalidArgumentError (from `@gflow/core`) for a rate that is not finite and ≥ 0, a decay
 *   rate that is not finite and > 0, a step count that is not an integer, or an `end` on the wrong
 *   side of `init` (above it when r < 1, below it when r > 1); from the schedule, when the step is
 *   not an integer ≥ 0.
 * @example
 * ```ts
 * const s = exponentialDecay({ init: 0.1, decayRate: 0.5, transitionSteps: 100 });
 * s(100); // 0.05
 * s(150); // 0.1 · 0.5^1.5 ≈ 0.03536
 * const step = exponentialDecay({ init: 0.1, decayRate: 0.1, transitionSteps: 30, staircase: true });
 * step(29); // 0.1
 * step(30); // 0.01
 * ```
 * @see Babuschkin et al. 2020 (optax `exponential_decay`); Krizhevsky, Sutskever & Hinton 2012
 *   (step decay by 10).
 */
export function exponentialDecay(options: ExponentialDecayOptions): Schedule {
  const fn = 'exponentialDecay';
  checkOptions(fn, options);
  const init = checkRate(fn, 'options.init', options.init);
  const r = options.decayRate;
  if (typeof r !== 'number' || !Number.isFinite(r) || r <= 0) {
    throw new InvalidArgumentError(
      `${fn}: options.decayRate must be a finite number > 0, got ${describeValue(r)}`,
    );
  }
  const k = checkSteps(fn, 'options.transitionSteps', options.transitionSteps, 1);
  const t0 = checkSteps(fn, 'options.transitionBegin', options.transitionBegin ?? 0, 0);
  const staircase = options.staircase ?? false;
  if (typeof staircase !== 'boolean') {
    throw new InvalidArgumentError(
      `${fn}: options.staircase must be a boolean, got ${describeValue(staircase)}`,
    );
  }
  const end = options.end === undefined ? undefined : checkRate(fn, 'options.end', options.end);
  if (end !== undefined && ((r < 1 && end > init) || (r > 1 && end < init))) {
    throw new InvalidArgumentError(
      `${fn}: options.end must be ${r < 1 ? '≤' : '≥'} options.init (${init}) when decayRate is ${r}, got ${end}`,
    );
  }
  return (step) => {
    const t = checkStep(fn, step);
    if (t <= t0) return init;
    const p = staircase ? Math.floor((t - t0) / k) : (t - t0) / k;
    const v = init * r ** p;
    if (end === undefined) return v;
    return r < 1 ? Math.max(v, end) : Math.min(v, end);
  };
}
