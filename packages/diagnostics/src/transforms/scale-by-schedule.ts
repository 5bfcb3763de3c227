import * as tf from '@tensorflow/tfjs';
import { checkSchedule, evaluateSchedule } from '../internal/schedule-checks.js';
import { checkAgainstSpec, specOf, type TensorSpec } from '../internal/validate.js';
import type { Schedule } from '../schedules/schedule.js';
import type { GradientTransform } from './transform.js';

/** State of {@link scaleBySchedule}: the step count and the parameters' names and shapes. */
export interface ScaleByScheduleState {
  /** How many updates were made (the step the next update evaluates the schedule at). */
  readonly count: number;
  /** Parameter shapes by name. */
  readonly spec: TensorSpec;
}

/**
 * Multiplies the gradients by a schedule's value at the current step, g ← η_t · g, where t counts
 * this transform's updates from 0 (optax's `scale_by_schedule`).
 *
 * With plain SGD at rate 1 (`tf.train.sgd(1)`) the update is then exactly −η_t·g: the schedule is
 * the learning rate. With SGD at rate η the rate is η·η_t; with momentum the factor enters the
 * velocity. Adaptive optimizers (Adam, RMSProp, Adagrad) divide the scale out again (their step
 * is invariant to a gradient scale, up to ε), so for them set the optimizer's rate instead: the
 * `schedule` option of `instrument` or `trainStep` does that.
 *
 * Info: `scaleBySchedule.rate` = η_t (read back in float32, like every info scalar).
 *
 * @param schedule - The schedule, step → η_t (finite, ≥ 0).
 * @returns A gradient transform; its state counts the steps (no tensors).
 * @throws InvalidArgumentError (from `@gflow/core`) when `schedule` is not a function, or (from
 *   `update`) when it returns anything but a finite number ≥ 0; ShapeError when names or shapes
 *   differ from `init`'s.
 * @example
 * ```ts
 * const optimizer = tf.train.sgd(1);
 * const transform = chain(clipByGlobalNorm(1), scaleBySchedule(warmupCosine({ peak: 0.1, warmupSteps: 10, totalSteps: 100 })));
 * const state = createTrainState({ transform }); // once, before the loop
 * for (let i = 0; i < 100; i++) trainStep(model, task.batch(32), state, { optimizer, monitor });
 * monitor.records.map((r) => r.info?.['scaleBySchedule.rate']);
 * ```
 * @see Babuschkin et al. 2020, "The DeepMind JAX Ecosystem" (optax `scale_by_schedule`).
 */
export function scaleBySchedule(schedule: Schedule): GradientTransform<ScaleByScheduleState> {
  const fn = 'scaleBySchedule';
  checkSchedule(fn, 'schedule', schedule);
  return {
    name: fn,
    init: (params) => ({ count: 0, spec: specOf(fn, params) }),
    update(grads, state) {
      checkAgainstSpec(fn, 'grads', grads, state.spec);
      const rate = evaluateSchedule(fn, schedule, state.count);
      const out: Record<string, tf.Tensor> = {};
      for (const [name, g] of Object.entries(grads)) out[name] = tf.mul(g, rate);
      return {
        grads: out,
        state: { count: state.count + 1, spec: state.spec },
        info: { [`${fn}.rate`]: tf.scalar(rate) },
      };
    },
    dispose: () => {},
  };
}
