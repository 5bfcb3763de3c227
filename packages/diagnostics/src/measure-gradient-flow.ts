import { describeValue, InvalidArgumentError } from '@gflow/core';
import {
  hostReadVariables,
  prefetchReads,
  type Reads,
  runReadsAsync,
  runReadsSync,
} from '@gflow/core/internal';
import type { Module, ParameterRole } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import type { Finding } from './finding.js';
import type { ActivationStats } from './gradient-tape.js';
import { type HealthThresholds, resolveThresholds } from './health.js';
import { activationStatsAt } from './internal/activation-layout.js';
import { type LossSpec, resolveLoss } from './internal/loss.js';
import { pairSquared } from './internal/norms.js';
import { parameterSquaredNorms } from './internal/parameter-norms.js';
import { runTape } from './internal/tap-recorder.js';
import { BatchedRead } from './internal/tensors.js';
import { checkNonNegative } from './internal/validate.js';
import { diagnoseReport } from './rules/index.js';
import type { Batch } from './train-step.js';

/**
 * The version of the {@link FlowReport} layout; bumped on any incompatible change.
 *
 * - 2: norms are scale-safe (exact from the smallest subnormal to the largest float32 element,
 *   never 0 unless every element is 0, never ∞ for a finite gradient); `gradNorm` has three
 *   states (a number, `0` only for an all-zero gradient, `null` for no gradient, with
 *   {@link FlowTap.noGradient} saying why); non-finite elements give `Infinity`/`NaN`, never
 *   `null` (see {@link flowReportToJSON} for how they are written as JSON).
 * - 1: the first layout.
 *
 * @example
 * ```ts
 * if (report.schemaVersion !== flowReportSchemaVersion) throw new Error('report from another gflow');
 * ```
 */
export const flowReportSchemaVersion = 2;

/** Why a tap's {@link FlowTap.gradNorm} is `null`: the one case the tape cannot see. */
export const NO_GRADIENT_REASON =
  'no gradient reached this tap: the loss does not depend on the tapped value through any path ' +
  'that leads to a parameter (the tape records only such paths), so ∂L/∂h was never formed';

/** One tap point of a {@link FlowReport}. */
export interface FlowTap {
  /** The tap's name (`blocks.3`, `h.17`, `layers.dense_1`). */
  readonly name: string;
  /** Shape of the tapped activation. */
  readonly shape: readonly number[];
  /**
   * ‖∂L/∂h‖ (Frobenius norm, float64, scale-safe: 1e-40 and 1e+30 are measured as such), in three
   * states: a number; exactly `0` only when every element of ∂L/∂h is zero; `null` when no gradient
   * reached the tap ({@link FlowTap.noGradient} says why). A gradient with an infinite element is
   * `Infinity`, one with a NaN is `NaN`: a non-finite finding in the diagnosis, never `null`.
   */
  readonly gradNorm: number | null;
  /** Present exactly when `gradNorm` is `null`: why no gradient was measured here. */
  readonly noGradient?: string;
  /** gradNorm divided by the last tap's gradNorm (the last tap with a gradient is 1). */
  readonly ratioToLast: number | null;
  /** Statistics of the activation itself. */
  readonly activation: ActivationStats;
}

/** One parameter of a {@link FlowReport}. */
export interface FlowParameter {
  /** The parameter's dotted name. */
  readonly name: string;
  /** What it is for. */
  readonly role: ParameterRole;
  /** Its shape. */
  readonly shape: readonly number[];
  /**
   * ‖∂L/∂θ‖ (float64, scale-safe), `0` only for an all-zero gradient, or `null` when the loss does
   * not depend on it (disconnected); `Infinity`/`NaN` for non-finite elements.
   */
  readonly gradNorm: number | null;
  /** ‖θ‖. */
  readonly weightNorm: number;
  /** ‖∂L/∂θ‖/‖θ‖, or `null`. */
  readonly ratio: number | null;
  /** η·‖∂L/∂θ‖/‖θ‖: the update ratio a plain SGD step with the report's learning rate would make. */
  readonly updateRatio: number | null;
}

/** The one record of a gradient-flow measurement: plain data, JSON-ready. */
export interface FlowReport {
  /** {@link flowReportSchemaVersion} at the time of writing. */
  readonly schemaVersion: number;
  /** The module's name. */
  readonly model: string;
  /** The loss on the batch. */
  readonly loss: number;
  /** The learning rate used for update ratios. */
  readonly learningRate: number;
  /** Every tap point, in forward order. */
  readonly taps: readonly FlowTap[];
  /** Every parameter, in the module's order. */
  readonly parameters: readonly FlowParameter[];
  /** ‖g‖ over every parameter. */
  readonly globalNorm: number;
  /** What is wrong, with evidence and remedies (empty when healthy). */
  readonly diagnosis: readonly Finding[];
}

/** The options of {@link measureGradientFlow}'s three-argument form (everything but the batch). */
export type MeasureGradientFlowSettings = Omit<MeasureGradientFlowOptions, 'inputs' | 'targets'>;

/** The batch and the options of {@link measureGradientFlow} in one object (its two-argument form). */
export interface MeasureGradientFlowOptions {
  /** A batch of inputs. */
  readonly inputs: tf.Tensor;
  /** The matching targets. */
  readonly targets: tf.Tensor;
  /** The loss, by name or as a function (targets, outputs) → scalar (default 'meanSquaredError'). */
  readonly loss?: LossSpec;
  /**
   * Learning rate for the update ratios (default 1e-3 for the parameters' `updateRatio`). The
   * diagnosis reports update ratios outside the healthy band only when it is given: a ratio from
   * a rate the user never chose says nothing about their training.
   */
  readonly learningRate?: number;
  /** Run the module in training mode (default true: batch statistics as in training). */
  readonly training?: boolean;
  /** Thresholds of the diagnosis (see `checkHealth`'s defaults). */
  readonly thresholds?: HealthThresholds;
}

/**
 * {@link measureGradientFlow} with the batch and the options in one object (the form before the
 * batch became its own argument; both forms stay supported).
 *
 * @param module - Any `Module`.
 * @param options - Inputs, targets, and the options of the three-argument form.
 * @returns The report.
 * @throws As the three-argument form.
 * @example
 * ```ts
 * measureGradientFlow(model, { inputs: x, targets: y, loss: 'softmaxCrossEntropy' });
 * ```
 */
export function measureGradientFlow(module: Module, options: MeasureGradientFlowOptions): FlowReport;
/**
 * Measures how the gradient flows through a module on one batch: per tap, the gradient norm and
 * its ratio to the last tap, and activation statistics; per parameter, gradient and weight norms,
 * their ratio and the update ratio; the global norm; and a diagnosis whose findings carry
 * severity, evidence and a remedy.
 *
 * One forward and backward pass; every number comes back in one batched read.
 *
 * @param module - Any `Module` from `@gflow/models` (or `fromLayersModel(model)`).
 * @param batch - The inputs and targets, as `trainStep` takes them.
 * @param options - Loss, learning rate, training flag, thresholds.
 * @returns The report (plain data).
 * @throws InvalidArgumentError (from `@gflow/core`) for a missing batch, an unknown loss or a bad
 *   learning rate or threshold; ShapeError when a named loss's targets do not have the shape of the
 *   model's outputs.
 * @example
 * ```ts
 * const report = measureGradientFlow(plainMLP({ depth: 20, width: 64, inputSize: 16, activation: 'tanh' }),
 *   { inputs: x, targets: y }, { loss: 'meanSquaredError' });
 * for (const f of report.diagnosis) console.log(f.message, '→', f.remedy);
 * ```
 * @see Glorot & Bengio 2010, "Understanding the difficulty of training deep feedforward neural
 *   networks"; He et al. 2016, "Deep Residual Learning for Image Recognition".
 */
export function measureGradientFlow(
  module: Module,
  batch: Batch,
  options?: MeasureGradientFlowSettings,
): FlowReport;
export function measureGradientFlow(
  module: Module,
  batchOrOptions: MeasureGradientFlowOptions | Batch,
  settings?: MeasureGradientFlowSettings,
): FlowReport {
  return runReadsSync(flowReads('measureGradientFlow', module, batchOrOptions, settings));
}

/**
 * {@link measureGradientFlow} with its one batched read-back awaited (`await data()`) instead of
 * synchronous (`dataSync()`): the same pass and the same report (one implementation), for a
 * browser whose engine is webgpu or webgl. There the main thread stays free while the GPU
 * computes, and on webgpu tfjs reads through a mapped buffer rather than its synchronous canvas
 * copy (which loses the device in headless Chromium over SwiftShader: see `@gflow/backend`'s
 * README). On wasm and cpu it gives the same report as {@link measureGradientFlow}.
 *
 * @param module - Any `Module` from `@gflow/models` (or `fromLayersModel(model)`).
 * @param batch - The inputs and targets, as `trainStep` takes them.
 * @param options - As {@link measureGradientFlow}.
 * @returns A promise of the report (plain data).
 * @throws As {@link measureGradientFlow} (the promise rejects, naming `measureGradientFlowAsync`).
 * @example
 * ```ts
 * await initBackend(); // webgpu in a browser that has it
 * const report = await measureGradientFlowAsync(model, { inputs: x, targets: y });
 * console.log(report.taps.map((t) => t.ratioToLast));
 * ```
 * @see Glorot & Bengio 2010, "Understanding the difficulty of training deep feedforward neural
 *   networks".
 */
export function measureGradientFlowAsync(
  module: Module,
  batch: Batch,
  options?: MeasureGradientFlowSettings,
): Promise<FlowReport> {
  // The generator is made inside the promise chain, so that bad input rejects rather than throws.
  return Promise.resolve().then(() =>
    runReadsAsync(flowReads('measureGradientFlowAsync', module, batch, options)),
  );
}

/** The arguments of either form, checked, as one options object. */
function flowOptions(
  fn: string,
  module: Module,
  batchOrOptions: MeasureGradientFlowOptions | Batch,
  settings: MeasureGradientFlowSettings | undefined,
): MeasureGradientFlowOptions {
  const options: MeasureGradientFlowOptions =
    settings === undefined
      ? (batchOrOptions as MeasureGradientFlowOptions)
      : { ...readSettings(settings), inputs: batchOrOptions?.inputs, targets: batchOrOptions?.targets };
  if (module == null || typeof module.apply !== 'function' || typeof module.parameters !== 'function') {
    throw new InvalidArgumentError(
      `${fn}: module must be a Module (apply, parameters), got ${describeValue(module)}`,
    );
  }
  if (!(options?.inputs instanceof tf.Tensor) || !(options.targets instanceof tf.Tensor)) {
    throw new InvalidArgumentError(
      `${fn}: options.inputs and options.targets must be tensors, got ${describeValue(options?.inputs)} and ${describeValue(options?.targets)}`,
    );
  }
  for (const key of ['inputs', 'targets'] as const) {
    if (options[key].isDisposed) {
      throw new InvalidArgumentError(
        `${fn}: options.${key} was disposed (shape [${options[key].shape.join(', ')}]); pass a live tensor`,
      );
    }
  }
  return options;
}

/**
 * The measurement as a {@link Reads} computation: one forward and backward pass, then one batched
 * read (by either driver), then the report on the host.
 */
function* flowReads(
  fn: string,
  module: Module,
  batchOrOptions: MeasureGradientFlowOptions | Batch,
  settings: MeasureGradientFlowSettings | undefined,
): Reads<FlowReport> {
  const options = flowOptions(fn, module, batchOrOptions, settings);
  const lossFn = resolveLoss(fn, options.loss ?? 'meanSquaredError');
  const lr = checkNonNegative(fn, 'options.learningRate', options.learningRate ?? 1e-3, true);
  const t = resolveThresholds(fn, options.thresholds);
  const params = module.parameters();
  // the async driver brings the values that the forward pass reads on the host there first
  yield* prefetchReads(hostReadVariables(params));
  const raw = runTape(
    fn,
    (ctx) => lossFn(options.targets, module.apply(options.inputs, ctx)),
    params,
    'norms',
    true,
    options.training ?? true,
  );
  const reader = new BatchedRead();
  let v: Float64Array;
  let lossAt: number;
  let tapAt: number[];
  let actAt: number[];
  let norms: Float64Array;
  try {
    lossAt = reader.add(raw.loss);
    tapAt = raw.taps.map((r) => (r.gradPair ? reader.add(r.gradPair) : -1));
    actAt = raw.taps.map((r) => (r.activation ? reader.add(r.activation) : -1));
    const parameterNorms = parameterSquaredNorms(params, raw.grads, reader);
    tf.dispose(Object.values(raw.grads));
    v = yield* reader.reads();
    norms = parameterNorms(v);
  } finally {
    // Only on a fault: a completed read has disposed everything it was given.
    reader.dispose();
    tf.dispose(Object.values(raw.grads));
  }

  let normSq = 0;
  const parameters: FlowParameter[] = params.map((p, i) => {
    const connected = raw.grads[p.name] !== undefined;
    const gSq = norms[2 * i] as number;
    const weightNorm = Math.sqrt(norms[2 * i + 1] as number);
    const gradNorm = connected ? Math.sqrt(gSq) : null;
    if (gradNorm !== null) normSq += gSq;
    const ratio = gradNorm !== null && weightNorm > 0 ? gradNorm / weightNorm : null;
    return {
      name: p.name,
      role: p.role,
      shape: p.variable.shape.slice(),
      gradNorm,
      weightNorm,
      ratio,
      updateRatio: ratio === null ? null : lr * ratio,
    };
  });
  const report = {
    schemaVersion: flowReportSchemaVersion,
    model: module.name,
    loss: v[lossAt] as number,
    learningRate: lr,
    taps: tapsOf(raw.taps, v, tapAt, actAt),
    parameters,
    globalNorm: Math.sqrt(normSq),
  };
  return {
    ...report,
    diagnosis: diagnoseReport(report, t, { learningRateKnown: options.learningRate !== undefined }),
  };
}

/** The report's taps from the values read back: gradient norms, ratios to the last, activations. */
function tapsOf(
  raw: readonly { readonly name: string; readonly shape: readonly number[] }[],
  v: Float64Array,
  tapAt: readonly number[],
  actAt: readonly number[],
): FlowTap[] {
  const norms = raw.map((_, i) => {
    const at = tapAt[i] as number;
    return at >= 0 ? Math.sqrt(pairSquared(v[at] as number, v[at + 1] as number)) : null;
  });
  let lastNorm: number | null = null;
  for (let i = norms.length - 1; i >= 0 && lastNorm === null; i--) lastNorm = norms[i] ?? null;
  return raw.map((r, i) => {
    const g = norms[i] ?? null;
    return {
      name: r.name,
      shape: r.shape,
      gradNorm: g,
      ratioToLast: g === null || lastNorm === null || lastNorm === 0 ? null : g / lastNorm,
      ...(g === null ? { noGradient: NO_GRADIENT_REASON } : {}),
      activation: activationStatsAt(v, actAt[i] as number),
    };
  });
}

/** The three-argument form's options, checked to be an object. */
function readSettings(settings: unknown): MeasureGradientFlowSettings {
  if (settings === null || typeof settings !== 'object' || Array.isArray(settings))
    throw new InvalidArgumentError(
      `measureGradientFlow: options must be an object { loss?, learningRate?, training?, thresholds? }, got ${describeValue(settings)}`,
    );
  return settings as MeasureGradientFlowSettings;
}
