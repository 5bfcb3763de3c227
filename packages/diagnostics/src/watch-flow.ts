import { describeValue, InvalidArgumentError } from '@gflow/core';
import { fromLayersModel, type Module } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import type { GradientMonitor } from './gradient-monitor.js';
import { type LossSpec, resolveLoss } from './internal/loss.js';
import { checkInteger } from './internal/validate.js';
import type { StepLogger } from './loggers/step-logger.js';
import { type FlowReport, measureGradientFlow } from './measure-gradient-flow.js';
import type { StepRecord } from './step-record.js';
import { type ValueHistogram, valueHistogram } from './value-histogram.js';

/** Options of {@link watchFlow}. */
export interface WatchFlowOptions {
  /** The held batch the flow is measured on (the same batch every time, so steps compare). */
  readonly batch: {
    /** The held inputs (the caller's: watchFlow never disposes them). */
    readonly inputs: tf.Tensor;
    /** The held targets (the caller's). */
    readonly targets: tf.Tensor;
  };
  /** Measure after every this many optimizer steps (default 50), and once before training. */
  readonly every?: number;
  /**
   * The loss (default: the model's compiled loss when it is `meanSquaredError`/`mse`,
   * `categoricalCrossentropy`, `binaryCrossentropy` or a function; otherwise this is needed).
   */
  readonly loss?: LossSpec;
  /** Run the model in training mode (dropout on) while measuring (default false). */
  readonly training?: boolean;
  /**
   * Per-parameter histograms of the held batch's gradients and of the weights: `false` for none,
   * or every `every` steps (default: every 4th measurement; it must be a multiple of `every`).
   */
  readonly histograms?:
    | false
    | {
        /** Optimizer steps between histograms (a multiple of `every`; default 4 × `every`). */
        readonly every?: number;
      };
  /** The records go to this monitor's loggers (not to its history: see `GradientMonitor.log`). */
  readonly monitor?: GradientMonitor;
  /** The records go to these loggers (besides the monitor's). */
  readonly loggers?: readonly StepLogger[];
  /** Called with every report, e.g. to print its diagnosis. */
  readonly onReport?: (report: FlowReport, step: number) => void;
}

/** Keras losses by name, as functions of (targets, outputs) averaged over the batch. */
const kerasLosses: Record<string, (t: tf.Tensor, y: tf.Tensor) => tf.Scalar> = {
  meanSquaredError: (t, y) => tf.mean(tf.metrics.meanSquaredError(t, y)) as tf.Scalar,
  mse: (t, y) => tf.mean(tf.metrics.meanSquaredError(t, y)) as tf.Scalar,
  categoricalCrossentropy: (t, y) => tf.mean(tf.metrics.categoricalCrossentropy(t, y)) as tf.Scalar,
  binaryCrossentropy: (t, y) => tf.mean(tf.metrics.binaryCrossentropy(t, y)) as tf.Scalar,
};

/** The `model.fit` callback {@link watchFlow} returns. */
export class WatchFlowCallback extends tf.Callback {
  /** Number of measurements made so far. */
  measurements = 0;
  private readonly module: Module;
  private readonly lossFn: (t: tf.Tensor, y: tf.Tensor) => tf.Scalar;
  private readonly every: number;
  private readonly histEvery: number;
  private readonly opts: WatchFlowOptions;
  private done = 0;

  /**
   * @param watched - The model being trained.
   * @param options - See {@link watchFlow}.
   * @throws See {@link watchFlow}.
   */
  constructor(watched: tf.LayersModel, options: WatchFlowOptions) {
    super();
    const fn = 'watchFlow';
    if (!(options?.batch?.inputs instanceof tf.Tensor) || !(options.batch.targets instanceof tf.Tensor)) {
      throw new InvalidArgumentError(
        `${fn}: options.batch must be { inputs, targets } of tensors, got ${describeValue(options?.batch)}`,
      );
    }
    this.module = fromLayersModel(watched);
    this.every = checkInteger(fn, 'options.every', options.every ?? 50, 1);
    const h = options.histograms ?? {};
    this.histEvery =
      h === false ? 0 : checkInteger(fn, 'options.histograms.every', h.every ?? 4 * this.every, 1);
    if (this.histEvery % this.every !== 0) {
      throw new InvalidArgumentError(
        `${fn}: options.histograms.every must be a multiple of options.every (${this.every}), got ${this.histEvery}`,
      );
    }
    if (options.loss !== undefined) this.lossFn = resolveLoss(fn, options.loss);
    else {
      const compiled = (watched as { loss?: unknown }).loss;
      if (typeof compiled === 'function') {
        const f = compiled as (t: tf.Tensor, y: tf.Tensor) => tf.Tensor;
        this.lossFn = (t, y) => tf.mean(f(t, y)) as tf.Scalar;
      } else if (typeof compiled === 'string' && kerasLosses[compiled]) {
        this.lossFn = kerasLosses[compiled] as (t: tf.Tensor, y: tf.Tensor) => tf.Scalar;
      } else {
        throw new InvalidArgumentError(
          `${fn}: options.loss is needed when the model's compiled loss is not one of ${Object.keys(kerasLosses).join(', ')} or a function, got ${describeValue(compiled)}`,
        );
      }
    }
    this.opts = options;
  }

  /** Measures before the first step (step 0), unless this callback has already measured. */
  override async onTrainBegin(): Promise<void> {
    if (this.done === 0 && this.measurements === 0) this.measure(0);
  }

  /** Counts the step and measures after every `every`-th. */
  override async onBatchEnd(): Promise<void> {
    this.done++;
    if (this.done % this.every === 0) this.measure(this.done);
  }

  /**
   * Measures the flow on the held batch now and sends the record to the monitor and loggers.
   *
   * @param step - The step number the record carries (optimizer steps done so far).
   * @returns The record.
   */
  measure(step: number): StepRecord {
    const o = this.opts;
    const report = measureGradientFlow(this.module, {
      inputs: o.batch.inputs,
      targets: o.batch.targets,
      loss: this.lossFn,
      training: o.training ?? false,
    });
    const histograms = this.histEvery > 0 && step % this.histEvery === 0 ? this.histograms() : undefined;
    const finite =
      Number.isFinite(report.loss) &&
      report.parameters.every(
        (p) => Number.isFinite(p.weightNorm) && (p.gradNorm === null || Number.isFinite(p.gradNorm)),
      );
    const record: StepRecord = {
      step,
      time: Date.now(),
      loss: report.loss,
      globalNorm: report.globalNorm,
      cosine: null,
      parameters: report.parameters.map((p) => ({
        name: p.name,
        gradNorm: p.gradNorm,
        weightNorm: p.weightNorm,
        ratio: p.ratio,
        updateRatio: null,
      })),
      taps: report.taps.map((t) => ({ name: t.name, gradNorm: t.gradNorm })),
      finite,
      ...(histograms ? { histograms } : {}),
      source: 'watchFlow',
    };
    this.measurements++;
    o.monitor?.log(record);
    for (const l of o.loggers ?? []) l.log(record);
    o.onReport?.(report, step);
    return record;
  }

  /** Histograms of every parameter's held-batch gradient and of its weights. */
  private histograms(): ValueHistogram[] {
    const o = this.opts;
    const params = this.module.parameters();
    const { value, grads } = tf.variableGrads(
      () =>
        this.lossFn(
          o.batch.targets,
          this.module.apply(o.batch.inputs, { training: o.training ?? false, tap: (_n, t) => t }),
        ),
      params.map((p) => p.variable),
    );
    try {
      const out: ValueHistogram[] = [];
      for (const p of params) {
        const g = grads[p.variable.name];
        if (g) out.push(valueHistogram(`gradients/${p.name}`, g.dataSync()));
      }
      for (const p of params) out.push(valueHistogram(`parameters/${p.name}`, p.variable.dataSync()));
      return out;
    } finally {
      tf.dispose([value, ...Object.values(grads)]);
    }
  }
}

/**
 * A `model.fit` callback that measures the per-layer gradient flow (‖∂L/∂h‖ at every layer's
 * output, and every parameter's gradient and weight norm) on a held batch every `every` steps,
 * so a layer × step heatmap fills during ordinary Keras-style training: each measurement is a
 * {@link StepRecord} with `taps` and `source: 'watchFlow'`, sent to the monitor's loggers and to
 * the given loggers (so a JSON-lines file holds the training steps and, interleaved, the
 * held-batch measurements; the package README describes the record). At a chosen interval the record also carries histograms of
 * every parameter's gradient and weights (as `wandb.watch` logs them).
 *
 * Cost: one `measureGradientFlow` (a forward and backward pass on the held batch with every layer
 * tapped, one read-back) per measurement; with histograms, one more forward and backward pass and
 * a read-back of every weight and gradient to the host. Measured by
 * `bench/scripts/diagnostics-live-overhead.ts` (numbers in the package README, "Cost").
 *
 * @param model - The `tf.LayersModel` being trained (compiled; any layers model).
 * @param options - The held batch, interval, loss, histograms, where the records go.
 * @returns A callback for `model.fit(x, y, { callbacks: [it] })`.
 * @throws InvalidArgumentError (from `@gflow/core`) for a missing batch, a bad interval, or a
 *   compiled loss it cannot reproduce without `options.loss`.
 * @example
 * ```ts
 * const monitor = new GradientMonitor({ loggers: [jsonLinesLogger('runs/a.jsonl')] });
 * await model.fit(xs, ys, {
 *   epochs: 10,
 *   callbacks: [watchFlow(model, { every: 50, batch: { inputs: xHeld, targets: yHeld }, monitor })],
 * });
 * ```
 * @see Glorot & Bengio 2010, "Understanding the difficulty of training deep feedforward neural
 *   networks"; Schneider et al. 2021, "Cockpit: A Practical Debugging Tool for the Training of
 *   Deep Neural Networks".
 */
export function watchFlow(model: tf.LayersModel, options: WatchFlowOptions): WatchFlowCallback {
  return new WatchFlowCallback(model, options);
}
