import { checkAllocation, describeValue, InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { RingBuffer } from './internal/ring-buffer.js';
import { alias, BatchedRead, type NamedTensors } from './internal/tensors.js';
import { checkInteger } from './internal/validate.js';
import { nonFiniteReplacer } from './json.js';
import type { StepLogger } from './loggers/step-logger.js';
import { matrixSpectrum, type WeightSpectrum } from './measures/weight-spectrum.js';
import type { ParameterStatOptions } from './monitor/parameter-stats.js';
import {
  checkStepInput,
  type DecodedStep,
  decodeStep,
  type MonitorSettings,
  type PreviousStep,
  planStep,
  resolveParameterStats,
  type StepPlan,
} from './monitor/step-plan.js';
import type { StepRecord } from './step-record.js';

/** Options of the monitor's log₁₀|g| histogram. */
export interface HistogramOptions {
  /** Number of bins between `min` and `max` (default 24). */
  readonly bins?: number;
  /** Lower edge, in log₁₀|g| (default −12). */
  readonly min?: number;
  /** Upper edge, in log₁₀|g| (default 0). */
  readonly max?: number;
  /** Make a histogram every this many steps (default 10). */
  readonly every?: number;
}

/** The `spectra` option of {@link GradientMonitorOptions}: which weights' σ₁ and ρ to record, how often. */
export interface MonitorSpectraOptions {
  /** Names of the rank-2 weights (as in the step's `params`), typically the recurrent matrices. */
  readonly params: readonly string[];
  /** Record every this many steps (default 10). */
  readonly every?: number;
}

/**
 * Options of {@link GradientMonitor}. Besides those below, each per-parameter statistic has its
 * option (`deadUnits`, `entropy`, `maxAbs`, …), registered in the monitor's list of statistics.
 */
export interface GradientMonitorOptions extends ParameterStatOptions {
  /** Records kept in the ring buffer (default 1000); older ones are dropped. */
  readonly capacity?: number;
  /** Per-parameter and global mean, variance, skewness, kurtosis (default true). */
  readonly moments?: boolean;
  /** Cosine similarity with the previous step's gradient (default true). */
  readonly cosine?: boolean;
  /** Update ratio ‖Δθ‖/‖θ‖ (default true). */
  readonly updateRatio?: boolean;
  /**
   * Weight norms ‖θ‖ and the gradient/weight ratio per parameter (default true). With `false`
   * (and `updateRatio` off, which needs ‖θ‖) the weights are not read at all: every parameter's
   * `weightNorm` and `ratio` are `null`, and `finite` covers the loss and the gradients only.
   * This saves one pass over every weight per step, for a monitor that only wants gradient norms.
   */
  readonly weightNorms?: boolean;
  /**
   * σ₁ and the spectral radius ρ of the named weight matrices (typically W_hh), every `every`
   * steps (default 10), as `StepRecord.spectra`; the weights come from the step's `params`. Cost:
   * one read-back of those matrices and a host SVD + eigen-solve (O(n³), float64) per recorded step,
   * outside the batched read. See `weightSpectrum`.
   */
  readonly spectra?: MonitorSpectraOptions;
  /**
   * A log₁₀|g| histogram: `false` for none, or bins (default 24) over [min, max] (default −12..0)
   * every `every` steps (default 10).
   */
  readonly histogram?: false | HistogramOptions;
  /** Loggers given every record as it is made. */
  readonly loggers?: readonly StepLogger[];
}

/** What {@link GradientMonitor.record} measures. Nothing here is disposed or kept by the monitor. */
export interface MonitorInput {
  /** The step's gradients by parameter name. */
  readonly grads: NamedTensors;
  /**
   * The weights by the same names. Without `paramsBefore` these are the weights the gradient was
   * taken at, and the update ratio compares them with the previous record's weights.
   */
  readonly params?: NamedTensors;
  /** The weights before this step's update; then `params` are the weights after it. */
  readonly paramsBefore?: NamedTensors;
  /** The loss (a scalar tensor or a number). */
  readonly loss?: tf.Scalar | number;
  /** The step number (default: one more than the last; the first is 1). */
  readonly step?: number;
  /** Gradients of k ≥ 2 micro-batches (same names), for the signal-to-noise ratio. */
  readonly microBatchGrads?: readonly NamedTensors[];
  /** Parameters that got no gradient (reported with gradNorm null). */
  readonly disconnected?: readonly string[];
}

/**
 * @internal Per-parameter squared gradient norms a training step already put into the batched
 * read (one float32 vector): `names[i]`'s Σg² is the value at index `at + i`.
 */
export interface SharedGradNorms {
  /** Parameter names, in the order of the pairs. */
  readonly names: readonly string[];
  /** Index of the first scale-safe pair [m, s] in the batched read (name i's pair at `at + 2i`). */
  readonly at: number;
  /** Index of the loss (`input.loss`) in the batched read, when the step already added it. */
  readonly lossAt?: number;
}

/** @internal The tensors a step contributes to a batched read, and how to decode them. */
export interface MonitorPlan {
  /** Turns the values read back into a record (and pushes it). */
  finish(values: Float64Array, extra?: Partial<Pick<StepRecord, 'info' | 'taps' | 'guard'>>): StepRecord;
  /** Drops the plan without recording (the step was undone). */
  abandon(): void;
}

/**
 * Watches training one step at a time: loss, global gradient norm, every parameter's gradient
 * norm, weight norm and their ratio, the update ratio, cosine similarity with the previous
 * step's gradient, distribution statistics (mean, variance, skewness, kurtosis, a log₁₀|g|
 * histogram), dead units and, from micro-batches, the gradient signal-to-noise ratio.
 *
 * Each step is one fused computation on the device and one read-back of all its numbers. The
 * records are plain numbers in a ring buffer of fixed capacity, so memory stays bounded; the
 * monitor holds tensors only for the previous step's gradient and weights (zero-copy handles,
 * released by {@link GradientMonitor.dispose}).
 *
 * @example
 * ```ts
 * const monitor = new GradientMonitor({ capacity: 500 });
 * model.compile({ optimizer: instrument(tf.train.adam(1e-3), { monitor }), loss: 'meanSquaredError' });
 * await model.fit(xs, ys, { epochs: 5 });
 * console.log(checkHealth(monitor.history()));
 * ```
 * @see Karpathy, CS231n notes "Neural Networks Part 3" (update ratios); Liu et al. 2020,
 *   "Understanding Why Neural Networks Generalize Well Through GSNR of Parameters".
 */
export class GradientMonitor {
  private readonly buffer: RingBuffer<StepRecord>;
  private readonly opts: MonitorSettings;
  private readonly spectra: { readonly params: readonly string[]; readonly every: number } | undefined;
  private readonly loggers: StepLogger[];
  private prevGrads: Record<string, tf.Tensor> | undefined;
  private prevGradNormSq = 0;
  /** The scale m each of `prevGrads` was divided by in its step's dot products. */
  private prevScales: Map<string, number> | undefined;
  private prevParams: Record<string, tf.Tensor> | undefined;
  private nextStep = 1;

  /**
   * @param options - Capacity, which statistics, histogram, loggers.
   * @throws InvalidArgumentError (from `@gflow/core`) for options that are not an object, a capacity < 1
   *   or a bad histogram.
   */
  constructor(options: GradientMonitorOptions = {}) {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new InvalidArgumentError(
        `GradientMonitor: options must be an object, got ${describeValue(options)}`,
      );
    }
    const capacity = checkInteger('GradientMonitor', 'options.capacity', options.capacity ?? 1000, 1);
    // the ring buffer holds up to capacity records (an array of that length is made now)
    checkAllocation('GradientMonitor', 'records', capacity, 8);
    this.buffer = new RingBuffer<StepRecord>(capacity);
    let histogram: false | { bins: number; min: number; max: number; every: number } = false;
    if (options.histogram !== false) {
      const h = options.histogram ?? {};
      const bins = checkInteger('GradientMonitor', 'options.histogram.bins', h.bins ?? 24, 1, 4096);
      const min = h.min ?? -12;
      const max = h.max ?? 0;
      if (!Number.isFinite(min) || !Number.isFinite(max) || max <= min) {
        throw new InvalidArgumentError(
          `GradientMonitor: options.histogram must have finite min < max, got min ${describeValue(min)}, max ${describeValue(max)}`,
        );
      }
      const every = checkInteger('GradientMonitor', 'options.histogram.every', h.every ?? 10, 1);
      histogram = { bins, min, max, every };
    }
    this.spectra = checkSpectra(options.spectra);
    this.opts = {
      moments: options.moments ?? true,
      cosine: options.cosine ?? true,
      updateRatio: options.updateRatio ?? true,
      weightNorms: options.weightNorms ?? true,
      stats: resolveParameterStats(options),
      histogram,
    };
    this.loggers = [...(options.loggers ?? [])];
  }

  /** The ring buffer's capacity. */
  get capacity(): number {
    return this.buffer.capacity;
  }

  /** Number of records held (at most the capacity). */
  get size(): number {
    return this.buffer.size;
  }

  /** The records held, oldest first (a new array of the same record objects). */
  history(): StepRecord[] {
    return this.buffer.toArray();
  }

  /** The newest record, if any. */
  latest(): StepRecord | undefined {
    return this.buffer.last();
  }

  /** Adds a logger that will receive every later record. */
  addLogger(logger: StepLogger): void {
    this.loggers.push(logger);
  }

  /**
   * Measures one step and appends its record: one fused computation, one read-back.
   *
   * @param input - Gradients, weights, loss, step, micro-batch gradients.
   * @returns The record (also kept in the ring buffer and passed to the loggers).
   * @throws InvalidArgumentError (from `@gflow/core`) when `grads` is not a record of tensors, or
   *   `params` lack a name that `grads` has; ShapeError when their shapes differ.
   */
  record(input: MonitorInput): StepRecord {
    const reader = new BatchedRead();
    let plan: MonitorPlan;
    try {
      plan = this.plan(reader, input);
    } catch (e) {
      reader.dispose();
      throw e;
    }
    return plan.finish(reader.read());
  }

  /**
   * @internal Adds this step's scalars to `reader` and returns how to turn the values into a
   * record, so that a training step can read the monitor's numbers and its own in one transfer.
   * With `shared`, the squared norms of `input.grads` are already in `reader` and are not computed
   * again.
   */
  plan(reader: BatchedRead, input: MonitorInput, shared?: SharedGradNorms): MonitorPlan {
    checkStepInput(input);
    const step = input.step ?? this.nextStep;
    const prev: PreviousStep = {
      grads: this.prevGrads,
      scales: this.prevScales,
      params: this.prevParams,
      gradNormSq: this.prevGradNormSq,
    };
    let planned: StepPlan | undefined;
    tf.tidy(() => {
      planned = planStep(reader, input, this.opts, prev, step, shared);
    });
    const slots = planned as StepPlan;
    const spectra = this.spectraOf(step, input);
    const lossNumber = typeof input.loss === 'number' ? input.loss : null;
    let done = false;
    const finish = (
      v: Float64Array,
      extra: Partial<Pick<StepRecord, 'info' | 'taps' | 'guard'>> = {},
    ): StepRecord => {
      if (done)
        throw new InvalidArgumentError('GradientMonitor: a plan can be finished once, got a second call');
      done = true;
      const d = decodeStep(v, slots, this.opts, prev, lossNumber);
      const record: StepRecord = {
        step,
        time: Date.now(),
        loss: d.loss,
        globalNorm: Math.sqrt(d.normSq),
        cosine: d.cosine,
        ...(d.distribution ? { distribution: d.distribution } : {}),
        ...(d.histogram ? { histogram: d.histogram } : {}),
        ...(d.snr !== undefined ? { snr: d.snr } : {}),
        parameters: d.parameters,
        ...(extra.taps ? { taps: extra.taps } : {}),
        ...(extra.info ? { info: extra.info } : {}),
        finite: d.finite,
        ...(extra.guard ? { guard: extra.guard } : {}),
        ...(spectra ? { spectra } : {}),
      };
      this.keepForNextStep(input, d);
      this.nextStep = step + 1;
      this.push(record);
      return record;
    };
    return {
      finish,
      abandon() {
        done = true;
      },
    };
  }

  /** σ₁ and ρ of the `spectra` weights at a recording step (host, float64), or undefined. */
  private spectraOf(step: number, input: MonitorInput): WeightSpectrum[] | undefined {
    const o = this.spectra;
    if (!o || step % o.every !== 0) return undefined;
    return o.params.map((name) => {
      const w = input.params?.[name];
      if (!w)
        throw new InvalidArgumentError(
          `GradientMonitor.record: options.spectra names ${JSON.stringify(name)}, but the step's params have no such weight (params: ${
            Object.keys(input.params ?? {})
              .slice(0, 5)
              .join(', ') || 'none'
          })`,
        );
      return matrixSpectrum('GradientMonitor.record', name, w);
    });
  }

  /** Keeps zero-copy handles on this step's gradient (cosine) and weights (update ratio). */
  private keepForNextStep(input: MonitorInput, d: DecodedStep): void {
    const names = Object.keys(input.grads);
    if (this.opts.cosine && d.finite) {
      this.releaseGrads();
      const kept: Record<string, tf.Tensor> = {};
      for (const name of names) kept[name] = tf.keep(alias(input.grads[name] as tf.Tensor));
      this.prevGrads = kept;
      this.prevGradNormSq = d.normSq;
      this.prevScales = d.scales;
    }
    if (this.opts.updateRatio && !input.paramsBefore && input.params) {
      this.releaseParams();
      const kept: Record<string, tf.Tensor> = {};
      for (const name of names) {
        const w = input.params[name];
        if (w) kept[name] = tf.keep(alias(w));
      }
      this.prevParams = kept;
    }
  }

  /** @internal Appends a record made elsewhere (a skipped step) and passes it to the loggers. */
  push(record: StepRecord): void {
    this.buffer.push(record);
    for (const l of this.loggers) l.log(record);
  }

  /**
   * Passes a record made elsewhere to the loggers only, without keeping it in the history (so
   * `history()` and `checkHealth` see training steps alone): `watchFlow`'s held-batch records.
   *
   * @param record - The record (`source: 'watchFlow'` for a held-batch measurement).
   */
  log(record: StepRecord): void {
    for (const l of this.loggers) l.log(record);
  }

  /**
   * The records as JSON lines (one JSON object per line, oldest first); NaN and ±∞ are written as
   * the strings `"NaN"`, `"Infinity"`, `"-Infinity"` (see `nonFiniteReplacer`), distinct from `null`.
   */
  toJSONLines(): string {
    return this.buffer
      .toArray()
      .map((r) => `${JSON.stringify(r, nonFiniteReplacer)}\n`)
      .join('');
  }

  /** Drops every record and the previous step's tensors (the next cosine is `null`). */
  clear(): void {
    this.buffer.clear();
    this.releaseGrads();
    this.releaseParams();
  }

  /**
   * Frees the tensors the monitor holds and closes its loggers (each logger's `close()`, which
   * writes what a file logger holds); records stay readable.
   */
  dispose(): void {
    this.releaseGrads();
    this.releaseParams();
    for (const l of this.loggers) l.close?.();
  }

  private releaseGrads(): void {
    if (this.prevGrads) tf.dispose(Object.values(this.prevGrads));
    this.prevGrads = undefined;
    this.prevGradNormSq = 0;
    this.prevScales = undefined;
  }

  private releaseParams(): void {
    if (this.prevParams) tf.dispose(Object.values(this.prevParams));
    this.prevParams = undefined;
  }
}

/** The `spectra` option, checked. */
function checkSpectra(
  o: GradientMonitorOptions['spectra'],
): { readonly params: readonly string[]; readonly every: number } | undefined {
  if (o === undefined) return undefined;
  if (
    o === null ||
    typeof o !== 'object' ||
    !Array.isArray(o.params) ||
    o.params.length === 0 ||
    !o.params.every((n) => typeof n === 'string')
  )
    throw new InvalidArgumentError(
      `GradientMonitor: options.spectra must be { params: a non-empty array of weight names, every? }, got ${describeValue(o)}`,
    );
  return {
    params: [...o.params],
    every: checkInteger('GradientMonitor', 'options.spectra.every', o.every ?? 10, 1),
  };
}
