import { describeValue, InvalidArgumentError } from '@gflow/core';
import { checkInteger, checkNonNegative } from '@gflow/core/internal';
import type { Schedule } from '../schedules/schedule.js';

/** Throws unless `step` is an integer ≥ 0 (the argument every schedule takes). */
export function checkStep(fn: string, step: unknown): number {
  return checkInteger(fn, 'step', step, 0);
}

/** Throws unless `value` is a finite number ≥ 0 (a rate, or a factor applied to one). */
export function checkRate(fn: string, arg: string, value: unknown): number {
  return checkNonNegative(fn, arg, value);
}

/** Throws unless `value` is an integer ≥ `min`. */
export function checkSteps(fn: string, arg: string, value: unknown, min: number): number {
  return checkInteger(fn, arg, value, min);
}

/** Throws unless `options` is a plain object. */
export function checkOptions<T>(fn: string, options: T): T {
  if (options == null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(`${fn}: options must be an object, got ${describeValue(options)}`);
  }
  return options;
}

/**
 * Evaluates a schedule (yours or one made here) and checks what it returned: a finite rate ≥ 0.
 *
 * @param fn - The calling function, for the message.
 * @param schedule - The schedule.
 * @param step - The step.
 * @returns η_step.
 */
export function evaluateSchedule(fn: string, schedule: Schedule, step: number): number {
  const v = schedule(step);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new InvalidArgumentError(
      `${fn}: the schedule must return a finite rate ≥ 0, got ${describeValue(v)} at step ${step}`,
    );
  }
  return v;
}

/** Throws unless `schedule` is a function. */
export function checkSchedule(fn: string, arg: string, schedule: unknown): Schedule {
  if (typeof schedule !== 'function') {
    throw new InvalidArgumentError(
      `${fn}: ${arg} must be a schedule (a function step → rate), got ${describeValue(schedule)}`,
    );
  }
  return schedule as Schedule;
}
