import { InvalidArgumentError } from '@gflow/core';
import { checkInt } from '../internal/validate.js';

/**
 * A curriculum for a synthetic sequence task: the integer length (the copy task's delay, the
 * adding problem's sequence length) to use for the batch drawn at `step` (0 for the first batch).
 * Any function of the step works, a `Schedule` of `@gflow/diagnostics` included, as long as it
 * returns an integer in the task's range.
 */
export type LengthSchedule = (step: number) => number;

/** Options of {@link linearCurriculum}. */
export interface LinearCurriculumOptions {
  /** Length at step 0, L_min (an integer ≥ 1). */
  readonly start: number;
  /** Length from step `steps` on, L_max (an integer ≥ `start`). */
  readonly end: number;
  /** Steps over which the length grows from `start` to `end`, S (an integer ≥ 1). */
  readonly steps: number;
}

/**
 * Sequence-length scheduling: a length that grows linearly with the training step, rounded down to
 * an integer and held at L_max after S steps,
 * L(t) = L_min + ⌊min(t, S)·(L_max − L_min)/S⌋,
 * so a recurrent net first learns short dependencies and meets the long ones once it can carry
 * information over the short ones. Pass it as the `curriculum` of {@link copyMemoryTask} (the
 * delay grows) or {@link addingProblem} (the sequence length grows). The integer arithmetic is
 * exact for lengths and steps below 2^26.
 *
 * @param options - start (L_min), end (L_max) and steps (S).
 * @returns The schedule: a pure function of the step (a non-negative integer).
 * @throws InvalidArgumentError (from `@gflow/core`) when start, end or steps is not an integer
 *   ≥ 1, or end < start; the schedule throws it for a step that is not a non-negative integer.
 * @example
 * ```ts
 * const L = linearCurriculum({ start: 10, end: 20, steps: 4 });
 * [0, 1, 2, 3, 4, 5].map(L); // [10, 12, 15, 17, 20, 20]
 * const task = copyMemoryTask({ delay: 200, seed: 1, curriculum: linearCurriculum({ start: 10, end: 200, steps: 5000 }) });
 * ```
 * @see Bengio, Louradour, Collobert and Weston 2009, "Curriculum Learning" (ICML).
 * @see Zaremba and Sutskever 2014, "Learning to Execute" (arXiv:1410.4615), section 4.
 */
export function linearCurriculum(options: LinearCurriculumOptions): LengthSchedule {
  const fn = 'linearCurriculum';
  const start = checkInt(fn, 'options.start', options?.start);
  const end = checkInt(fn, 'options.end', options.end);
  const steps = checkInt(fn, 'options.steps', options.steps);
  if (end < start) {
    throw new InvalidArgumentError(
      `${fn}: options.end must be ≥ options.start (the length grows), got start ${start} and end ${end}`,
    );
  }
  return (step: number): number => {
    const t = checkInt(fn, 'step', step, 0);
    return start + Math.floor((Math.min(t, steps) * (end - start)) / steps);
  };
}
