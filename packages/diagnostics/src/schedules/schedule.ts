import { checkRate, checkStep } from '../internal/schedule-checks.js';

/**
 * A learning-rate schedule in optax's shape: a pure function from the step t (0, 1, 2, …: the
 * number of updates made before this one) to the rate η_t, in float64.
 *
 * The schedules made here ({@link constantSchedule}, {@link warmupCosine}, {@link warmupLinear},
 * {@link exponentialDecay}, {@link piecewiseConstant}, {@link joinSchedules}) check their step
 * and throw `InvalidArgumentError` for anything but an integer t ≥ 0. They are applied by
 * `instrument(optimizer, { schedule })` (plain `model.fit`), by `trainStep`'s `schedule`
 * option, or by the {@link scaleBySchedule} transform.
 *
 * @see Babuschkin et al. 2020, "The DeepMind JAX Ecosystem" (optax `schedules`).
 */
export type Schedule = (step: number) => number;

/**
 * The constant schedule η_t = η.
 *
 * @param value - η, a finite number ≥ 0.
 * @returns A {@link Schedule}.
 * @throws InvalidArgumentError (from `@gflow/core`) when `value` is not a finite number ≥ 0, and,
 *   from the schedule, when the step is not an integer ≥ 0.
 * @example
 * ```ts
 * const s = constantSchedule(1e-3);
 * s(0); // 0.001
 * s(10_000); // 0.001
 * ```
 * @see Babuschkin et al. 2020 (optax `constant_schedule`).
 */
export function constantSchedule(value: number): Schedule {
  const fn = 'constantSchedule';
  const v = checkRate(fn, 'value', value);
  return (step) => {
    checkStep(fn, step);
    return v;
  };
}
