import { describeValue, InvalidArgumentError } from '@gflow/core';
import {
  hostReadVariables,
  prefetchReads,
  type Reads,
  runReadsAsync,
  runReadsSync,
} from '@gflow/core/internal';
import type { Module } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import type { GradientMonitor } from './gradient-monitor.js';
import { type LossSpec, resolveLoss } from './internal/loss.js';
import { runStepReads, type TrainStepResult } from './internal/run-step.js';
import { checkSchedulable } from './internal/scheduled-rate.js';
import { type RawTape, runTape } from './internal/tap-recorder.js';
import { checkInteger } from './internal/validate.js';
import { slotsOf, type TrainState } from './train-state.js';
import type { TrainingGuard } from './training-guard.js';

export type { LossSpec } from './internal/loss.js';
export type { TrainStepResult } from './internal/run-step.js';

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
  /** A monitor that records the step. */
  readonly monitor?: GradientMonitor;
  /** A guard that judges the step and undoes a bad one. */
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
}

/** Options that moved into {@link TrainState}, refused with a pointer to their new place. */
const MOVED = ['transform', 'constraint', 'schedule'] as const;

/**
 * One training step of a `Module` from `@gflow/models`: loss and gradients through the tape,
 * then transform → update → constraint → monitor → guard, with one read-back.
 *
 * Whatever carries over between steps (the transforms' states, the schedule's progress, the step
 * count) is in `state`, which the caller makes once with `createTrainState` and passes to every
 * step; the step advances it in place. Steps count from 1: the outcome's record and the guard's
 * events of the first step say step 1.
 *
 * @param module - The module to train.
 * @param batch - Inputs and targets.
 * @param state - The loop's {@link TrainState} (transform, constraint, schedule, step count).
 * @param options - Optimizer, loss, monitor, guard, taps, micro-batches, training flag.
 * @returns What the step did: whether the update stands, the loss, the raw global norm, the
 *   transforms' numbers, the monitor's record and the guard's event.
 * @throws InvalidArgumentError (from `@gflow/core`) for a missing optimizer or batch, a state not
 *   made by `createTrainState` (or disposed), a bad micro-batch count, an option that moved into
 *   the state (`transform`, `constraint`, `schedule`), a schedule for an optimizer it cannot set,
 *   or a schedule value that is not a finite number ≥ 0; whatever the guard throws after too many
 *   bad steps.
 * @example
 * ```ts
 * const model = plainMLP({ depth: 4, width: 32, inputSize: 8, outputSize: 1, seed: 1 });
 * const optimizer = tf.train.sgd(0.05);
 * const monitor = new GradientMonitor();
 * const state = createTrainState({ transform: clipByGlobalNorm(1) }); // once, before the loop
 * for (let i = 0; i < 100; i++) trainStep(model, task.batch(32), state, { optimizer, monitor });
 * disposeTrainState(state);
 * ```
 * @see Babuschkin et al. 2020, "The DeepMind JAX Ecosystem" (optax: explicit optimizer state).
 */
export function trainStep(
  module: Module,
  batch: Batch,
  state: TrainState,
  options: TrainStepOptions,
): TrainStepResult {
  return runReadsSync(stepReads('trainStep', module, batch, state, options));
}

/**
 * {@link trainStep} with its one read-back awaited (`await data()`) instead of synchronous
 * (`dataSync()`): the same step (one implementation), so the same update, loss, norms, record and
 * guard verdict. The update is applied before the read, as in `trainStep`; the guard and the
 * monitor finish when the promise settles. In a browser the main thread stays free while the GPU
 * computes, and on webgpu tfjs reads through a mapped buffer rather than its synchronous canvas
 * copy (which loses the device in headless Chromium over SwiftShader: see `@gflow/backend`'s
 * README). Await each step before starting the next one on the same state.
 *
 * @param module - The module to train.
 * @param batch - Inputs and targets.
 * @param state - The loop's {@link TrainState}.
 * @param options - As {@link trainStep}.
 * @returns As {@link trainStep}.
 * @throws InvalidArgumentError (from `@gflow/core`): as {@link trainStep} (the promise rejects).
 * @example
 * ```ts
 * const state = createTrainState();
 * for (let i = 0; i < 100; i++) {
 *   const r = await trainStepAsync(model, task.batch(32), state, { optimizer });
 *   progress(r.loss);
 * }
 * disposeTrainState(state);
 * ```
 * @see Babuschkin et al. 2020, "The DeepMind JAX Ecosystem" (optax: explicit optimizer state).
 */
export function trainStepAsync(
  module: Module,
  batch: Batch,
  state: TrainState,
  options: TrainStepOptions,
): Promise<TrainStepResult> {
  return runReadsAsync(stepReads('trainStepAsync', module, batch, state, options));
}

/** The step, written once for both drivers. */
function* stepReads(
  fn: string,
  module: Module,
  batch: Batch,
  state: TrainState,
  options: TrainStepOptions,
): Reads<TrainStepResult> {
  const slots = checkArguments(fn, module, batch, state, options);
  const lossFn = resolveLoss(fn, options.loss ?? 'meanSquaredError');
  const n = batch.inputs.shape[0] ?? 1;
  const k =
    options.microBatches === undefined
      ? 1
      : checkInteger(fn, 'options.microBatches', options.microBatches, 2);
  if (k > n) {
    throw new InvalidArgumentError(
      `${fn}: options.microBatches must be at most the batch size ${n}, got ${k}`,
    );
  }
  const params = module.parameters();
  // the async driver brings the values that the forward pass reads on the host there first
  yield* prefetchReads(hostReadVariables(params));
  const names = params.map((p) => p.name);
  const tapes: RawTape[] = [];
  let merged: { grads: Record<string, tf.Tensor>; loss: tf.Scalar } | undefined;
  try {
    const mode = k === 1 && options.taps ? 'norms' : 'none';
    const parts = splitBatch(batch, k);
    try {
      for (const part of parts) {
        const run = (ctx: Parameters<Module['apply']>[1]) =>
          lossFn(part.targets, module.apply(part.inputs, ctx));
        tapes.push(runTape(fn, run, params, mode, false, options.training ?? true));
      }
    } finally {
      if (k > 1) tf.dispose(parts.flatMap((p) => [p.inputs, p.targets]));
    }
    if (k > 1) merged = meanOfTapes(tapes, names, n);
    const first = tapes[0] as RawTape;
    const grads = merged?.grads ?? first.grads;
    const rate = slots.applySchedule(options.optimizer);
    slots.step++;
    return yield* runStepReads({
      step: slots.step,
      names,
      vars: params.map((p) => p.variable),
      grads,
      disconnected: names.filter((name) => grads[name] === undefined),
      loss: merged?.loss ?? first.loss,
      optimizer: options.optimizer,
      ...(k > 1 ? { microBatchGrads: tapes.map((t) => t.grads) } : {}),
      ...(k === 1 && options.taps ? { taps: first.taps } : {}),
      ...(slots.transformSlot ? { transform: slots.transformSlot } : {}),
      ...(slots.constraintSlot ? { constraint: slots.constraintSlot } : {}),
      ...(rate !== undefined ? { scheduledRate: rate } : {}),
      ...(options.monitor ? { monitor: options.monitor } : {}),
      ...(options.guard ? { guard: options.guard } : {}),
    });
  } finally {
    for (const t of tapes) disposeTape(t);
    if (merged) tf.dispose([...Object.values(merged.grads), merged.loss]);
  }
}

/** The argument checks of {@link trainStep}; returns the state's slots. */
function checkArguments(
  fn: string,
  module: Module,
  batch: Batch,
  state: TrainState,
  options: TrainStepOptions,
): ReturnType<typeof slotsOf> {
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
  const slots = slotsOf(fn, state);
  if (slots.disposed) {
    throw new InvalidArgumentError(`${fn}: state must not be disposed, got one freed by disposeTrainState`);
  }
  // tf.Optimizer's Symbol.hasInstance reads `.minimize` of its operand: check for null first.
  if (options?.optimizer == null || !(options.optimizer instanceof tf.Optimizer)) {
    throw new InvalidArgumentError(
      `${fn}: options.optimizer must be a tf.Optimizer, got ${describeValue(options?.optimizer)}`,
    );
  }
  for (const key of MOVED) {
    if ((options as unknown as Record<string, unknown>)[key] !== undefined) {
      throw new InvalidArgumentError(
        `${fn}: options.${key} must be given to createTrainState({ ${key} }) once, before the loop, got it in trainStep's options`,
      );
    }
  }
  if (slots.schedule) checkSchedulable(fn, options.optimizer);
  return slots;
}

/** The batch itself (k = 1) or k slices of it, sizes differing by at most one (new tensors). */
function splitBatch(batch: Batch, k: number): Batch[] {
  if (k === 1) return [batch];
  const n = batch.inputs.shape[0] ?? 1;
  const sizes = Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
  const xs = tf.split(batch.inputs, sizes);
  const ys = tf.split(batch.targets, sizes);
  return xs.map((inputs, i) => ({ inputs, targets: ys[i] as tf.Tensor }));
}

/**
 * The batch gradient and loss of a mean loss from micro-batch tapes: the size-weighted mean of
 * theirs (parameters some micro-batch did not reach are left out).
 */
function meanOfTapes(
  tapes: readonly RawTape[],
  names: readonly string[],
  n: number,
): { grads: Record<string, tf.Tensor>; loss: tf.Scalar } {
  const k = tapes.length;
  const weight = (i: number) => (Math.floor(n / k) + (i < n % k ? 1 : 0)) / n;
  const grads: Record<string, tf.Tensor> = {};
  for (const name of names) {
    const parts = tapes.map((t, i) => ({ g: t.grads[name], w: weight(i) }));
    if (parts.some((q) => q.g === undefined)) continue;
    grads[name] = tf.tidy(() => tf.addN(parts.map((q) => tf.mul(q.g as tf.Tensor, q.w))));
  }
  const loss = tf.tidy(() => tf.addN(tapes.map((t, i) => tf.mul(t.loss, weight(i)))) as tf.Scalar);
  return { grads, loss };
}

function disposeTape(t: RawTape): void {
  t.loss.dispose();
  tf.dispose(Object.values(t.grads));
  for (const r of t.taps) {
    r.gradPair?.dispose();
    r.grad?.dispose();
    r.activation?.dispose();
  }
}

/**
 * The former name of {@link TrainStepResult}.
 *
 * @deprecated Renamed `TrainStepResult` (results are named after the function that makes them);
 *   this alias goes in the next major release.
 */
export type StepOutcome = TrainStepResult;
