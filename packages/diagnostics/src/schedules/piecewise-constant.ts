import { describeValue, InvalidArgumentError } from '@gflow/core';
import { checkRate, checkStep, checkSteps } from '../internal/schedule-checks.js';
import type { Schedule } from './schedule.js';

/**
 * A piecewise-constant schedule: the rate starts at η_0 and is multiplied by s_k from step b_k
 * on, η_t = η_0 · Π_{k: b_k ≤ t} s_k (optax's `piecewise_constant_schedule`).
 *
 * @param init - η_0 (finite, ≥ 0).
 * @param boundaries - `[b_k, s_k]` pairs: steps (integers ≥ 1, strictly increasing) and the
 *   factors (finite, ≥ 0) applied from them on.
 * @returns A {@link Schedule}.
 * @throws InvalidArgumentError (from `@gflow/core`) for a rate or factor that is not finite and
 *   ≥ 0, or boundaries that are not strictly increasing integers ≥ 1; from the schedule, when the
 *   step is not an integer ≥ 0.
 * @example
 * ```ts
 * // 0.1, then 0.01 from step 1000, then 0.001 from step 2000.
 * const s = piecewiseConstant(0.1, [[1000, 0.1], [2000, 0.1]]);
 * s(999); // 0.1
 * s(1000); // 0.01
 * ```
 * @see He et al. 2016, "Deep Residual Learning for Image Recognition" (the rate divided by 10 at
 *   fixed steps); Babuschkin et al. 2020 (optax `piecewise_constant_schedule`).
 */
export function piecewiseConstant(
  init: number,
  boundaries: readonly (readonly [step: number, scale: number])[],
): Schedule {
  const fn = 'piecewiseConstant';
  const v0 = checkRate(fn, 'init', init);
  if (!Array.isArray(boundaries)) {
    throw new InvalidArgumentError(
      `${fn}: boundaries must be an array of [step, scale] pairs, got ${describeValue(boundaries)}`,
    );
  }
  const steps: number[] = [];
  const values: number[] = [];
  let v = v0;
  boundaries.forEach((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new InvalidArgumentError(
        `${fn}: boundaries[${i}] must be a [step, scale] pair, got ${describeValue(pair)}`,
      );
    }
    const b = checkSteps(fn, `boundaries[${i}][0]`, pair[0], 1);
    const s = checkRate(fn, `boundaries[${i}][1]`, pair[1]);
    const prev = steps[steps.length - 1];
    if (prev !== undefined && b <= prev) {
      throw new InvalidArgumentError(
        `${fn}: boundaries must be strictly increasing, got step ${b} after ${prev}`,
      );
    }
    v *= s;
    steps.push(b);
    values.push(v);
  });
  return (step) => {
    const t = checkStep(fn, step);
    let out = v0;
    for (let k = 0; k < steps.length && (steps[k] as number) <= t; k++) out = values[k] as number;
    return out;
  };
}
