import { describeValue, InvalidArgumentError } from '@gflow/core';
import { registeredVariable } from '@gflow/core/internal/tfjs';
import * as tf from '@tensorflow/tfjs';
import { GradientMonitor } from './gradient-monitor.js';
import { getLearningRate, setLearningRate } from './internal/optimizer-state.js';
import { runStep, type TrainStepResult } from './internal/run-step.js';
import { checkSchedulable } from './internal/scheduled-rate.js';
import type { Schedule } from './schedules/schedule.js';
import { TrainStateSlots } from './train-state.js';
import { TrainingGuard } from './training-guard.js';
import type { ParameterTransform } from './transforms/spectral-normalization.js';
import type { GradientTransform } from './transforms/transform.js';

/** A tensor with a name, as tfjs optimizers' `getWeights` returns them. */
export interface NamedTensor {
  /** The weight's name. */
  readonly name: string;
  /** Its value. */
  readonly tensor: tf.Tensor;
}

/** Options of {@link instrument}. */
export interface InstrumentOptions {
  /** A gradient transform (or a `chain`) applied to every step's gradients. */
  readonly transform?: GradientTransform<unknown>;
  /** A parameter transform applied to the weights after every step (e.g. `spectralNormalization`). */
  readonly constraint?: ParameterTransform<unknown>;
  /** A monitor that records every step. */
  readonly monitor?: GradientMonitor;
  /** A guard that undoes bad steps and keeps training alive. */
  readonly guard?: TrainingGuard;
  /**
   * A learning-rate schedule (e.g. `warmupCosine(…)`): before step t (t = the steps this optimizer
   * has run, the guard's rejected ones included, 0 first) the wrapped optimizer's rate is
   * set to schedule(t), and the step's info (so the monitor's record) carries it as
   * `schedule.learningRate`. When something else changes the rate between steps (the guard's
   * 'lower-lr'), the schedule goes on multiplied by that change.
   */
  readonly schedule?: Schedule;
}

/**
 * A `tf.Optimizer` that wraps another: every step's gradients pass through a transform, the
 * update is applied by the wrapped optimizer, the weights pass through a constraint, and a
 * monitor and a guard see the step, all with one read-back. Made by {@link instrument}.
 *
 * @example
 * ```ts
 * const opt = instrument(tf.train.sgd(0.1), { transform: clipByGlobalNorm(1) });
 * model.compile({ optimizer: opt, loss: 'meanSquaredError' });
 * await model.fit(xs, ys);
 * console.log(opt.lastOutcome?.info['clipByGlobalNorm.norm']);
 * ```
 */
export class InstrumentedOptimizer extends tf.Optimizer {
  /** The class name tfjs serialisation uses. */
  static get className(): string {
    return 'GflowInstrumentedOptimizer';
  }

  /** The wrapped optimizer that makes the updates. */
  readonly inner: tf.Optimizer;
  /** The monitor, if any. */
  readonly monitor: GradientMonitor | undefined;
  /** The guard, if any. */
  readonly guard: TrainingGuard | undefined;
  /** What the last step did. */
  lastOutcome: TrainStepResult | undefined;
  /** The transforms' states, the schedule and the step count: created once, with the wrapper. */
  private readonly state: TrainStateSlots;

  /**
   * @param inner - The optimizer that makes the updates (SGD, Adam, …).
   * @param options - Transform, constraint, monitor, guard, schedule.
   */
  constructor(inner: tf.Optimizer, options: InstrumentOptions = {}) {
    checkInstrumentArgs('InstrumentedOptimizer', inner, options);
    super();
    this.inner = inner;
    this.state = new TrainStateSlots('instrument', options);
    this.monitor = options.monitor;
    this.guard = options.guard;
  }

  /** The wrapped optimizer's learning rate (undefined when it has none). */
  get learningRate(): number | undefined {
    return getLearningRate(this.inner);
  }

  /** Sets the wrapped optimizer's learning rate (ignored when it has none). */
  set learningRate(lr: number | undefined) {
    if (lr !== undefined) setLearningRate(this.inner, lr);
  }

  /** The wrapped optimizer's iteration count. */
  override get iterations(): number {
    return this.inner.iterations;
  }

  /**
   * Computes the gradients of `f` and runs the instrumented step (what `model.fit` calls).
   *
   * @param f - The loss function.
   * @param returnCost - Whether to return the loss.
   * @param varList - The variables to train (default: every trainable variable).
   * @returns The loss when `returnCost`, else null.
   */
  override minimize(f: () => tf.Scalar, returnCost = false, varList?: tf.Variable[]): tf.Scalar | null {
    const { value, grads } = this.computeGradients(f, varList);
    try {
      this.runNamed(grads, value);
    } finally {
      tf.dispose(Object.values(grads));
    }
    if (returnCost) return value;
    value.dispose();
    return null;
  }

  /**
   * Runs the instrumented step on given gradients (keyed by variable name).
   *
   * @param variableGradients - Gradients by variable name, as tfjs optimizers take them.
   */
  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const map: Record<string, tf.Tensor> = Array.isArray(variableGradients)
      ? Object.fromEntries(variableGradients.map((t) => [t.name, t.tensor]))
      : variableGradients;
    this.runNamed(map, undefined);
  }

  /**
   * The wrapped optimizer's weights (asynchronous, as in tfjs).
   *
   * @returns Its named weight tensors.
   */
  override async getWeights(): Promise<NamedTensor[]> {
    return this.inner.getWeights();
  }

  /**
   * Sets the wrapped optimizer's weights.
   *
   * @param weightValues - Named weight tensors, as from `getWeights`.
   */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    await this.inner.setWeights(weightValues);
  }

  /**
   * The wrapped optimizer's configuration.
   *
   * @returns Its config dictionary.
   */
  override getConfig(): tf.serialization.ConfigDict {
    return this.inner.getConfig();
  }

  /** Disposes the wrapped optimizer and the transforms' state (the monitor and guard stay yours). */
  override dispose(): void {
    this.inner.dispose();
    this.state.dispose();
  }

  private runNamed(grads: Record<string, tf.Tensor | null>, loss: tf.Scalar | undefined): void {
    const names: string[] = [];
    const vars: tf.Variable[] = [];
    const connected: Record<string, tf.Tensor> = {};
    for (const [name, g] of Object.entries(grads)) {
      const v = registeredVariable(name);
      if (!v) {
        throw new InvalidArgumentError(
          `InstrumentedOptimizer.applyGradients: gradients must be keyed by variable name, got ${JSON.stringify(name)} which names no variable`,
        );
      }
      names.push(name);
      vars.push(v);
      if (g != null) connected[name] = g;
    }
    const st = this.state;
    const rate = st.applySchedule(this.inner);
    st.step++;
    this.lastOutcome = runStep({
      step: st.step,
      names,
      vars,
      grads: connected,
      disconnected: names.filter((n) => connected[n] === undefined),
      optimizer: this.inner,
      ...(loss ? { loss } : {}),
      ...(st.transformSlot ? { transform: st.transformSlot } : {}),
      ...(st.constraintSlot ? { constraint: st.constraintSlot } : {}),
      ...(rate !== undefined ? { scheduledRate: rate } : {}),
      ...(this.monitor ? { monitor: this.monitor } : {}),
      ...(this.guard ? { guard: this.guard } : {}),
    });
  }
}

/**
 * Wraps a tfjs optimizer so that training is transformed, monitored and guarded without changing
 * the training loop: `model.compile({ optimizer: instrument(tf.train.adam(1e-3), {...}) })` and a
 * plain `model.fit` work as before.
 *
 * Per step: the `schedule`'s rate set on the optimizer, if any → gradients → `transform` (e.g. `chain(clipByGlobalNorm(1))`) → the guard's clipping,
 * if on → the wrapped optimizer's update → `constraint` → one read-back of the loss, the norms
 * and the monitor's statistics → the guard's verdict (a bad step is undone).
 *
 * @param optimizer - The optimizer that makes the updates.
 * @param options - Transform, constraint, monitor, guard, schedule (all optional).
 * @returns A `tf.Optimizer` (an {@link InstrumentedOptimizer}).
 * @throws InvalidArgumentError (from `@gflow/core`) when `optimizer` is not a tf.Optimizer, an
 *   option has the wrong type, or a schedule is given for an optimizer without a numeric
 *   learning rate; at a step, when the schedule returns anything but a finite number ≥ 0.
 * @example
 * ```ts
 * const monitor = new GradientMonitor();
 * model.compile({
 *   optimizer: instrument(tf.train.adam(1e-3), { transform: clipByGlobalNorm(1), monitor, guard: new TrainingGuard() }),
 *   loss: 'meanSquaredError',
 * });
 * await model.fit(xs, ys, { epochs: 5 });
 *
 * // A warmup-cosine learning rate, recorded by the monitor as info['schedule.learningRate'].
 * const opt = instrument(tf.train.adam(1e-3), {
 *   schedule: warmupCosine({ peak: 1e-3, warmupSteps: 100, totalSteps: 2000 }),
 *   monitor,
 * });
 * ```
 */
export function instrument(optimizer: tf.Optimizer, options: InstrumentOptions = {}): InstrumentedOptimizer {
  checkInstrumentArgs('instrument', optimizer, options);
  return new InstrumentedOptimizer(optimizer, options);
}

/** The checks of {@link instrument} and the {@link InstrumentedOptimizer} constructor. */
function checkInstrumentArgs(fn: string, optimizer: unknown, options: unknown): void {
  if (typeof optimizer !== 'object' || optimizer === null || !(optimizer instanceof tf.Optimizer)) {
    throw new InvalidArgumentError(
      `${fn}: optimizer must be a tf.Optimizer, got ${describeValue(optimizer)}`,
    );
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`${fn}: options must be an object, got ${describeValue(options)}`);
  }
  const o = options as InstrumentOptions;
  if (o.monitor !== undefined && !(o.monitor instanceof GradientMonitor)) {
    throw new InvalidArgumentError(
      `${fn}: options.monitor must be a GradientMonitor, got ${describeValue(o.monitor)}`,
    );
  }
  if (o.guard !== undefined && !(o.guard instanceof TrainingGuard)) {
    throw new InvalidArgumentError(
      `${fn}: options.guard must be a TrainingGuard, got ${describeValue(o.guard)}`,
    );
  }
  if (o.schedule !== undefined) checkSchedulable(fn, optimizer as tf.Optimizer);
}
