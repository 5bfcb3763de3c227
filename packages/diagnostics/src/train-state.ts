import { describeValue, InvalidArgumentError } from '@gflow/core';
import type * as tf from '@tensorflow/tfjs';
import type { ConstraintSlot, TransformSlot } from './internal/run-step.js';
import { checkSchedule } from './internal/schedule-checks.js';
import { ScheduledRate } from './internal/scheduled-rate.js';
import type { Schedule } from './schedules/schedule.js';
import type { ParameterTransform } from './transforms/spectral-normalization.js';
import type { GradientTransform } from './transforms/transform.js';

/** What a {@link TrainState} carries from step to step (all optional). */
export interface TrainStateOptions {
  /** A gradient transform (or a `chain`); its state lives in the train state. */
  readonly transform?: GradientTransform<unknown>;
  /** A parameter transform applied after every update (e.g. `spectralNormalization`). */
  readonly constraint?: ParameterTransform<unknown>;
  /**
   * A learning-rate schedule (e.g. `warmupCosine(…)`): before step t (t = the steps this state has
   * run, 0 first) the optimizer's rate is set to schedule(t), and the step's info (so the monitor's
   * record) carries it as `schedule.learningRate`. A change made to the rate by someone else
   * between steps (a guard's 'lower-lr' or its recovery) multiplies the schedule from then on.
   */
  readonly schedule?: Schedule;
}

/**
 * Everything `trainStep` carries from one step to the next, held by the caller (optax's shape:
 * made once before the loop, passed to every step, freed after): the transforms, their states
 * (AutoClip's history, spectral normalisation's vectors), the schedule's progress and the step
 * count. Nothing is kept anywhere else, so a transform made inside the loop cannot silently add
 * state, and two runs never share any.
 */
export interface TrainState {
  /** Steps run with this state; the next one is step `step + 1` (steps count from 1). */
  readonly step: number;
  /** The gradient transform, if any. */
  readonly transform?: GradientTransform<unknown>;
  /** The parameter transform, if any. */
  readonly constraint?: ParameterTransform<unknown>;
  /** The learning-rate schedule, if any. */
  readonly schedule?: Schedule;
}

/** @internal The one implementation of {@link TrainState}; its slots are mutated by each step. */
export class TrainStateSlots implements TrainState {
  step = 0;
  readonly transform?: GradientTransform<unknown>;
  readonly constraint?: ParameterTransform<unknown>;
  readonly schedule?: Schedule;
  readonly transformSlot: TransformSlot | undefined;
  readonly constraintSlot: ConstraintSlot | undefined;
  readonly rate: ScheduledRate | undefined;
  disposed = false;

  constructor(fn: string, options: TrainStateOptions) {
    for (const key of ['transform', 'constraint'] as const) {
      const t = options[key];
      if (t !== undefined && (t == null || typeof t.init !== 'function' || typeof t.update !== 'function')) {
        throw new InvalidArgumentError(
          `${fn}: options.${key} must be a transform (init, update), got ${describeValue(t)}`,
        );
      }
    }
    if (options.schedule !== undefined) checkSchedule(fn, 'options.schedule', options.schedule);
    if (options.transform) this.transform = options.transform;
    if (options.constraint) this.constraint = options.constraint;
    if (options.schedule) this.schedule = options.schedule;
    this.transformSlot = options.transform ? { transform: options.transform } : undefined;
    this.constraintSlot = options.constraint ? { transform: options.constraint } : undefined;
    this.rate = options.schedule ? new ScheduledRate(fn, options.schedule) : undefined;
  }

  /** The schedule's rate for the next step, set on `optimizer` (undefined without a schedule). */
  applySchedule(optimizer: tf.Optimizer): number | undefined {
    return this.rate?.apply(optimizer, this.step);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const t = this.transformSlot;
    if (t?.state !== undefined) t.transform.dispose(t.state);
    const c = this.constraintSlot;
    if (c?.state !== undefined) c.transform.dispose(c.state);
  }
}

/**
 * Makes the state a training loop carries: create it once, before the loop, and pass it to every
 * `trainStep`; the first step initialises the transforms' states from the parameters it trains.
 *
 * @param options - The transform, constraint and schedule the steps apply (all optional).
 * @returns A {@link TrainState} at step 0; free it with {@link disposeTrainState}.
 * @throws InvalidArgumentError (from `@gflow/core`) when `options` is not an object, a transform
 *   lacks `init`/`update`, or the schedule is not a function.
 * @example
 * ```ts
 * const state = createTrainState({ transform: clipByGlobalNorm(1), schedule: warmupCosine({ peak: 1e-3, warmupSteps: 100, totalSteps: 2000 }) });
 * for (let i = 0; i < 2000; i++) trainStep(model, task.batch(32), state, { optimizer, monitor });
 * disposeTrainState(state);
 * ```
 * @see Babuschkin et al. 2020, "The DeepMind JAX Ecosystem" (optax's explicit `opt_state`).
 */
export function createTrainState(options: TrainStateOptions = {}): TrainState {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(
      `createTrainState: options must be an object, got ${describeValue(options)}`,
    );
  }
  return new TrainStateSlots('createTrainState', options);
}

/**
 * Frees the tensors a {@link TrainState}'s transforms hold (AutoClip's history, spectral
 * normalisation's vectors). The state cannot be used afterwards; a second call does nothing.
 *
 * @param state - A state from {@link createTrainState}.
 * @throws InvalidArgumentError (from `@gflow/core`) when `state` was not made by `createTrainState`.
 * @example
 * ```ts
 * disposeTrainState(state);
 * ```
 */
export function disposeTrainState(state: TrainState): void {
  slotsOf('disposeTrainState', state).dispose();
}

/** @internal The slots behind a {@link TrainState}, checked. */
export function slotsOf(fn: string, state: TrainState): TrainStateSlots {
  if (!(state instanceof TrainStateSlots)) {
    throw new InvalidArgumentError(
      `${fn}: state must be a TrainState from createTrainState, got ${describeValue(state)}`,
    );
  }
  return state;
}
