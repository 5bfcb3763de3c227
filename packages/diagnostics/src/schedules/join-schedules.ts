import { describeValue, InvalidArgumentError } from '@gflow/core';
import { checkSchedule, checkStep, checkSteps } from '../internal/schedule-checks.js';
import type { Schedule } from './schedule.js';

/**
 * Joins schedules end to end: schedule k runs from boundary b_{k−1} on (b_{−1} = 0), with its
 * step counted from there, η_t = s_k(t − b_{k−1}) for b_{k−1} ≤ t < b_k (optax's
 * `join_schedules`).
 *
 * @param schedules - The schedules s_0 … s_n, in order (at least one).
 * @param boundaries - b_0 … b_{n−1}: one fewer than the schedules, integers ≥ 1, strictly
 *   increasing.
 * @returns A {@link Schedule}.
 * @throws InvalidArgumentError (from `@gflow/core`) when a schedule is not a function, the numbers
 *   of schedules and boundaries do not match, or the boundaries are not strictly increasing
 *   integers ≥ 1; from the schedule, when the step is not an integer ≥ 0 or a joined schedule
 *   returns something other than a finite number ≥ 0.
 * @example
 * ```ts
 * // 100 steps of constant 1e-4, then a warmup-cosine cycle of 1000 steps starting afresh.
 * const s = joinSchedules(
 *   [constantSchedule(1e-4), warmupCosine({ peak: 1e-3, warmupSteps: 100, totalSteps: 1000 })],
 *   [100],
 * );
 * s(99); // 1e-4
 * s(100); // 0 (the warmup's step 0)
 * s(200); // 1e-3
 * ```
 * @see Babuschkin et al. 2020 (optax `join_schedules`); Loshchilov & Hutter 2017, "SGDR" (restarts
 *   as joined cycles).
 */
export function joinSchedules(schedules: readonly Schedule[], boundaries: readonly number[]): Schedule {
  const fn = 'joinSchedules';
  if (!Array.isArray(schedules) || schedules.length === 0) {
    throw new InvalidArgumentError(
      `${fn}: schedules must be a non-empty array of schedules, got ${describeValue(schedules)}`,
    );
  }
  schedules.forEach((s, i) => {
    checkSchedule(fn, `schedules[${i}]`, s);
  });
  if (!Array.isArray(boundaries) || boundaries.length !== schedules.length - 1) {
    throw new InvalidArgumentError(
      `${fn}: boundaries must be an array of ${schedules.length - 1} steps (one fewer than the schedules), got ${describeValue(boundaries)}`,
    );
  }
  boundaries.forEach((b, i) => {
    checkSteps(fn, `boundaries[${i}]`, b, 1);
    if (i > 0 && b <= (boundaries[i - 1] as number)) {
      throw new InvalidArgumentError(
        `${fn}: boundaries must be strictly increasing, got ${b} after ${boundaries[i - 1]}`,
      );
    }
  });
  const s = schedules.slice();
  const b = boundaries.slice();
  return (step) => {
    const t = checkStep(fn, step);
    let k = 0;
    while (k < b.length && (b[k] as number) <= t) k++;
    const begin = k === 0 ? 0 : (b[k - 1] as number);
    const v = (s[k] as Schedule)(t - begin);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new InvalidArgumentError(
        `${fn}: schedules[${k}] must return a finite rate ≥ 0, got ${describeValue(v)} at its step ${t - begin}`,
      );
    }
    return v;
  };
}
