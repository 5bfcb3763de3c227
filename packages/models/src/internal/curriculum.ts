import { describeValue, InvalidArgumentError } from '@gflow/core';
import type { LengthSchedule } from '../tasks/curriculum.js';

/**
 * The length a task's curriculum gives for `step`, checked: an integer in [min, max].
 */
export function lengthAt(
  fn: string,
  what: string,
  schedule: LengthSchedule | undefined,
  step: number,
  min: number,
  max: number,
): number {
  if (schedule === undefined) return max;
  const v = schedule(step);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new InvalidArgumentError(
      `${fn}: options.curriculum(${step}) must be an integer ${what} in [${min}, ${max}], got ${describeValue(v)}`,
    );
  }
  return v;
}

/**
 * Checks a task's `curriculum` option: undefined or a function.
 */
export function checkSchedule(fn: string, v: unknown): LengthSchedule | undefined {
  if (v === undefined || typeof v === 'function') return v as LengthSchedule | undefined;
  throw new InvalidArgumentError(
    `${fn}: options.curriculum must be a function of the step (e.g. linearCurriculum(…)), got ${describeValue(v)}`,
  );
}
