import { describeValue, InvalidArgumentError } from '@gflow/core';
import type { Module } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import type { GradientMonitor } from './gradient-monitor.js';
import { type LossSpec, resolveLoss } from './internal/loss.js';
import { type ConstraintSlot, runStep, type StepOutcome, type TransformSlot } from './internal/run-step.js';
import { checkSchedule } from './internal/schedule-checks.js';
import { checkSchedulable, ScheduledRate, slotWithRate } from './internal/scheduled-rate.js';
import { type RawTape, runTape } from './internal/tap-recorder.js';
import { checkInteger } from './internal/validate.js';
import type { Schedule } from './schedules/schedule.js';
import type { TrainingGuard } from './training-guard.js';
import type { ParameterTransform } from './transforms/spectral-normalization.js';
import type { GradientTransform } from './transforms/transform.js';

export type { LossSpec } from './internal/loss.js';
export type { StepOutcome } from './internal/run-step.js';

/** A batch of inputs and targets. */
export interface Batch {
  /** The inputs. */
  readonly inputs: tf.Tensor;
  /** The targets. */
  readonly targets: tf.Tensor;
}

/** Options of {@link trainStep}. */
export interface TrainStepOptions {
  /** The optimizer that makes the updates (its state carries across calls). */
  readonly optimizer: tf.Optimizer;
  /** The loss by name or as (targets, outputs) → scalar (default 'meanSquaredError'). */
  readonly loss?: LossSpec;
  /** A gradient transform; its state is kept per (module, transform) across calls. */
  readonly transform?: GradientTransform<unknown>;
  /** A parameter transform applied after the update (e.g. `spectralNormalization`). */
  readonly constraint?: ParameterTransform<unknown>;
  /** A monitor that records the step. */
  readonly monitor?: GradientMonitor;
  /** A guard that undoes bad steps. */
  readonly guard?: TrainingGuard;
  /** Record the gradient norm at every tap into the monitor's record (default false). */
  readonly taps?: boolean;
  /**
   * Split the batch into this many micro-batches (≥ 2): the update uses their mean gradient and
   * the monitor gets the gradient signal-to-noise ratio. Costs one pass per micro-batch.
   */
  readonly microBatches?: number;
  /** Run the module in training mode (default true). */
  readonly training?: boolean;
  /**
   * A learning-rate schedule (e.g. `warmupCosine(…)`): before the module's step t (counted from 0
   * over this module's `trainStep` calls) the optimizer's rate is set to schedule(t), and the
   * step's info (so the monitor's record) carries it as `schedule.learningRate`. A change made to
   * the rate by someone else between steps (the guard's 'lower-lr') multiplies the schedule from
   * then on.
   */
  readonly schedule?: Schedule;
}

interface ModuleState {
  step: number;
  transforms: Map<object, TransformSlot>;
  constraints: Map<object, ConstraintSlot>;
  rates: WeakMap<Schedule, ScheduledRate>;
}

const states = new WeakMap<Module, ModuleState>();

/**
 * One training step of a `Module` from `@gflow/models`: loss and gradients through the tape,
 * then transform → update → constraint → monitor → guard, with one read-back.
 *
 * The state of `transform` and `constraint` (AutoClip's history, spectral normalisation's
 * vectors) is kept per module across calls; {@link releaseTrainState} frees it.
 *
 * @param module - The module to train.
 * @param batch - Inputs and targets.
 * @param options - Optimizer, loss, transform, constraint, monitor, guard, taps, micro-batches,
 *   schedule.
 * @returns What the step did: whether the update stands, the loss, the raw global norm, the
 *   transforms' numbers, the monitor's record and the guard's event.
 * @throws InvalidArgumentError (from `@gflow/core`) for a missing optimizer or batch, a bad
 *   micro-batch count, a schedule that is not a function or an optimizer it cannot set, or a
 *   schedule value that is not a finite number ≥ 0; whatever the guard throws after too many bad
 *   steps.
 * @example
 * ```ts
 * const model = plainMLP({ depth: 4, width: 32, inputSize: 8, outputSize: 1, seed: 1 });
 * const optimizer = tf.train.sgd(0.05);
 * const monitor = new GradientMonitor();
 * for (let i = 0; i < 100; i++) trainStep(model, task.batch(32), { optimizer, monitor, transform: clipByGlobalNorm(1) });
 * ```
 */
export function trainStep(module: Module, batch: Batch, options: TrainStepOptions): StepOutcome {
  const fn = 'trainStep';
  if (module == null || typeof module.apply !== 'function' || typeof module.parameters !== 'function') {
    throw new InvalidArgumentError(
      `${fn}: module must be a Module (apply, parameters), got ${describeValue(module)}`,
    );
  }
  if (!(batch?.inputs instanceof tf.Tensor) || !(batch.targets instanceof tf.Tensor)) {
    throw new InvalidArgumentError(
      `${fn}: batch must be {inputs, targets} tensors, got ${describeValue(batch)}`,
    );
  }
  if (!(options?.optimizer instanceof tf.Optimizer)) {
    throw new InvalidArgumentError(
      `${fn}: options.optimizer must be a tf.Optimizer, got ${describeValue(options?.optimizer)}`,
    );
  }
  if (options.schedule !== undefined) {
    checkSchedule(fn, 'options.schedule', options.schedule);
    checkSchedulable(fn, options.optimizer);
  }
  const lossFn = resolveLoss(fn, options.loss ?? 'meanSquaredError');
  const k =
    options.microBatches === undefined
      ? 1
      : checkInteger(fn, 'options.microBatches', options.microBatches, 2);
  const n = batch.inputs.shape[0] ?? 1;
  if (k > n) {
    throw new InvalidArgumentError(
      `${fn}: options.microBatches must be at most the batch size ${n}, got ${k}`,
    );
  }
  let st = states.get(module);
  if (!st) {
    st = { step: 0, transforms: new Map(), constraints: new Map(), rates: new WeakMap() };
    states.set(module, st);
  }
  const params = module.parameters();
  const names = params.map((p) => p.name);
  const training = options.training ?? true;
  const tapes: RawTape[] = [];
  let mean: Record<string, tf.Tensor> | undefined;
  let meanLoss: tf.Scalar | undefined;
  let scheduled: ReturnType<typeof slotWithRate> | undefined;
  try {
    if (k === 1) {
      tapes.push(
        runTape(
          fn,
          (ctx) => lossFn(batch.targets, module.apply(batch.inputs, ctx)),
          params,
          options.taps ? 'norms' : 'none',
          false,
          training,
        ),
      );
    } else {
      const sizes = Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
      const xs = tf.split(batch.inputs, sizes);
      const ys = tf.split(batch.targets, sizes);
      try {
        for (let i = 0; i < k; i++) {
          tapes.push(
            runTape(
              fn,
              (ctx) => lossFn(ys[i] as tf.Tensor, module.apply(xs[i] as tf.Tensor, ctx)),
              params,
              'none',
              false,
              training,
            ),
          );
        }
      } finally {
        tf.dispose([...xs, ...ys]);
      }
      // The batch gradient of a mean loss is the size-weighted mean of the micro-batch gradients.
      mean = {};
      for (const name of names) {
        const parts = tapes.map((t, i) => ({ g: t.grads[name], w: (sizes[i] as number) / n }));
        if (parts.some((q) => q.g === undefined)) continue;
        mean[name] = tf.tidy(() => tf.addN(parts.map((q) => tf.mul(q.g as tf.Tensor, q.w))));
      }
      meanLoss = tf.tidy(
        () => tf.addN(tapes.map((t, i) => tf.mul(t.loss, (sizes[i] as number) / n))) as tf.Scalar,
      );
    }
    const first = tapes[0] as RawTape;
    const grads = mean ?? first.grads;
    let transform: TransformSlot | undefined;
    if (options.transform) {
      transform = st.transforms.get(options.transform);
      if (!transform) {
        transform = { transform: options.transform as GradientTransform<unknown> };
        st.transforms.set(options.transform, transform);
      }
    }
    let constraint: ConstraintSlot | undefined;
    if (options.constraint) {
      constraint = st.constraints.get(options.constraint);
      if (!constraint) {
        constraint = { transform: options.constraint as ParameterTransform<unknown> };
        st.constraints.set(options.constraint, constraint);
      }
    }
    const step = st.step++;
    if (options.schedule) {
      let rate = st.rates.get(options.schedule);
      if (!rate) {
        rate = new ScheduledRate(fn, options.schedule);
        st.rates.set(options.schedule, rate);
      }
      scheduled = slotWithRate(transform, rate.apply(options.optimizer, step));
      transform = scheduled.slot;
    }
    return runStep({
      step,
      names,
      vars: params.map((p) => p.variable),
      grads,
      disconnected: names.filter((name) => grads[name] === undefined),
      loss: meanLoss ?? first.loss,
      optimizer: options.optimizer,
      ...(k > 1 ? { microBatchGrads: tapes.map((t) => t.grads) } : {}),
      ...(k === 1 && options.taps ? { taps: first.taps } : {}),
      ...(transform ? { transform } : {}),
      ...(constraint ? { constraint } : {}),
      ...(options.monitor ? { monitor: options.monitor } : {}),
      ...(options.guard ? { guard: options.guard } : {}),
    });
  } finally {
    for (const t of tapes) {
      t.loss.dispose();
      tf.dispose(Object.values(t.grads));
      for (const r of t.taps) {
        r.gradPair?.dispose();
        r.grad?.dispose();
        r.activation?.dispose();
      }
    }
    if (mean) tf.dispose(Object.values(mean));
    meanLoss?.dispose();
    scheduled?.commit();
  }
}

/**
 * Frees the transform and constraint state {@link trainStep} keeps for a module, and restarts
 * its step count.
 *
 * @param module - The module.
 * @example
 * ```ts
 * releaseTrainState(model);
 * ```
 */
export function releaseTrainState(module: Module): void {
  const st = states.get(module);
  if (!st) return;
  for (const slot of st.transforms.values()) if (slot.state !== undefined) slot.transform.dispose(slot.state);
  for (const slot of st.constraints.values())
    if (slot.state !== undefined) slot.transform.dispose(slot.state);
  states.delete(module);
}
