import { checkAllocation, describeValue, InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { type CentralSums, describeSums, mergeSums } from './internal/moments.js';
import { pairSquared, SCALE_FLOOR, scaledPairs } from './internal/norms.js';
import { RingBuffer } from './internal/ring-buffer.js';
import { alias, BatchedRead, f32, type NamedTensors } from './internal/tensors.js';
import { checkInteger } from './internal/validate.js';
import { nonFiniteReplacer } from './json.js';
import type { StepLogger } from './loggers/step-logger.js';
import type { GradientHistogram, ParameterRecord, StepRecord } from './step-record.js';

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

/** Options of {@link GradientMonitor}. */
export interface GradientMonitorOptions {
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
  /** Fraction of units with an all-zero gradient, per kernel (default true). */
  readonly deadUnits?: boolean;
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
  /** The step number (default: one more than the last). */
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
 * Where one parameter's values sit in the batched read. `grad`, `weight` and `update` index
 * scale-safe pairs [m, s] (‖x‖² = m²·s, see `internal/norms.ts`); `scale` indexes this step's
 * own scale m of the gradient, which the power sums at `sum` (Σ(g/m), Σ(g/m)³, Σ(g/m)⁴) and the
 * dot product at `dot` (Σ (g/m)(g'/m')) are taken in.
 */
interface ParamSlots {
  name: string;
  n: number;
  grad: number;
  weight: number;
  scale?: number;
  sum?: number;
  update?: number;
  dot?: number;
  dead?: number;
  shape: readonly number[];
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
  private readonly opts: {
    moments: boolean;
    cosine: boolean;
    updateRatio: boolean;
    weightNorms: boolean;
    deadUnits: boolean;
    histogram: false | { bins: number; min: number; max: number; every: number };
  };
  private readonly loggers: StepLogger[];
  private prevGrads: Record<string, tf.Tensor> | undefined;
  private prevGradNormSq = 0;
  /** The scale m each of `prevGrads` was divided by in its step's dot products. */
  private prevScales: Map<string, number> | undefined;
  private prevParams: Record<string, tf.Tensor> | undefined;
  private nextStep = 0;

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
    this.opts = {
      moments: options.moments ?? true,
      cosine: options.cosine ?? true,
      updateRatio: options.updateRatio ?? true,
      weightNorms: options.weightNorms ?? true,
      deadUnits: options.deadUnits ?? true,
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
    const grads = input?.grads;
    if (grads == null || typeof grads !== 'object') {
      throw new InvalidArgumentError(
        `GradientMonitor.record: input.grads must be a record of tensors, got ${describeValue(grads)}`,
      );
    }
    const before = input.paramsBefore;
    // ‖θ‖ is read when the record reports it or the update ratio needs it as its denominator.
    const weightsAt = this.opts.weightNorms || this.opts.updateRatio ? (before ?? input.params) : undefined;
    const after = before ? input.params : undefined;
    const names = Object.keys(grads);
    for (const [label, rec] of [
      ['params', input.params],
      ['paramsBefore', before],
    ] as const) {
      if (rec === undefined) continue;
      for (const n of names) {
        const w = rec[n];
        const g = grads[n] as tf.Tensor;
        if (w == null) {
          throw new InvalidArgumentError(
            `GradientMonitor.record: input.${label} must have every name of grads, got none for ${JSON.stringify(n)}`,
          );
        }
        if (w.size !== g.size) {
          throw new InvalidArgumentError(
            `GradientMonitor.record: input.${label}[${JSON.stringify(n)}] must have the gradient's shape ${describeValue(g.shape)}, got ${describeValue(w.shape)}`,
          );
        }
      }
    }
    const step = input.step ?? this.nextStep;
    const o = this.opts;
    const prevGrads = o.cosine ? this.prevGrads : undefined;
    const cosineOk =
      prevGrads !== undefined &&
      names.length === Object.keys(prevGrads).length &&
      names.every((n) => prevGrads[n] !== undefined && prevGrads[n].size === (grads[n] as tf.Tensor).size);
    const updFrom = after ? before : this.prevParams;
    const updTo = after ?? input.params;
    const doHistogram = o.histogram !== false && step % o.histogram.every === 0;

    const slots: ParamSlots[] = [];
    let lossAt = -1;
    let histAt = -1;
    let snrAt = -1;
    let snrCount = 0;
    const disconnectedSlots: { name: string; at: number }[] = [];
    const sharedAt = new Map<string, number>(
      (shared?.names ?? []).map((n, i) => [n, (shared?.at ?? 0) + 2 * i]),
    );
    const prevScales = this.prevScales;
    tf.tidy(() => {
      if (input.loss instanceof tf.Tensor)
        lossAt = shared?.lossAt ?? reader.add(tf.keep(tf.reshape(input.loss, [1])));
      // Norms of the gradients (unless shared) and of the weights: scale-safe pairs, one stacked
      // vector each. Every other statistic is taken of g/m, m = max(max|g|, 2⁻¹²⁶), and scaled
      // back on the host in float64: a float32 Σg⁴ overflows for |g| above 1e9.
      const unsquared: string[] = [];
      const weighed: string[] = [];
      for (const name of names) {
        const g = f32(grads[name] as tf.Tensor);
        const n = g.size;
        const dot = (a: tf.Tensor, b: tf.Tensor) =>
          tf.reshape(tf.sum(a === b ? tf.square(a) : tf.mul(a, b)), [1]);
        const slot: ParamSlots = { name, n, grad: sharedAt.get(name) ?? -1, weight: -1, shape: g.shape };
        const dead = o.deadUnits && g.rank >= 2;
        const cos = cosineOk && prevGrads !== undefined;
        const parts: tf.Tensor[] = [];
        let k = 0;
        if ((o.moments || dead || o.cosine) && n > 0) {
          const m = tf.maximum(tf.max(tf.abs(g)), SCALE_FLOOR);
          const gs = tf.div(g, m);
          const gs2 = tf.square(gs);
          // [m, Σ(g/m)²] is this gradient's pair: it serves as its norm unless one is shared.
          parts.push(tf.reshape(m, [1]), tf.reshape(tf.sum(gs2), [1]));
          slot.scale = k;
          if (slot.grad < 0) slot.grad = k;
          k += 2;
          if (o.moments) {
            parts.push(tf.reshape(tf.sum(gs), [1]), dot(gs2, gs), dot(gs2, gs2));
            slot.sum = k;
            k += 3;
          }
          if (cos && prevGrads) {
            const prevScale = prevScales?.get(name) ?? 1;
            parts.push(dot(gs, tf.div(f32(prevGrads[name] as tf.Tensor), prevScale)));
            slot.dot = k++;
          }
          if (dead) {
            // (g/m)² is zero exactly where g is (m ≥ 2⁻¹²⁶), so tiny gradients are not "dead".
            const axes = Array.from({ length: g.rank - 1 }, (_, i) => i);
            parts.push(tf.reshape(tf.mean(tf.cast(tf.equal(tf.sum(gs2, axes), 0), 'float32')), [1]));
            slot.dead = k++;
          }
        } else if (slot.grad < 0) unsquared.push(name);
        if (weightsAt?.[name]) weighed.push(name);
        if (o.updateRatio && updFrom?.[name] && updTo?.[name] && updFrom[name].size === n) {
          parts.push(scaledPairs({ d: tf.sub(f32(updTo[name]), f32(updFrom[name])) }, ['d'], false));
          slot.update = k;
          k += 2;
        }
        if (parts.length > 0) {
          const at = reader.add(tf.keep(parts.length === 1 ? (parts[0] as tf.Tensor) : tf.concat(parts)));
          if (slot.grad >= 0 && !sharedAt.has(name)) slot.grad += at;
          if (slot.scale !== undefined) slot.scale += at;
          if (slot.sum !== undefined) slot.sum += at;
          if (slot.update !== undefined) slot.update += at;
          if (slot.dot !== undefined) slot.dot += at;
          if (slot.dead !== undefined) slot.dead += at;
        }
        slots.push(slot);
      }
      const bySlot = new Map(slots.map((s) => [s.name, s]));
      if (unsquared.length > 0) {
        const at = reader.add(tf.keep(scaledPairs(grads, unsquared)));
        unsquared.forEach((name, i) => {
          (bySlot.get(name) as ParamSlots).grad = at + 2 * i;
        });
      }
      if (weighed.length > 0 && weightsAt) {
        const at = reader.add(tf.keep(scaledPairs(weightsAt, weighed)));
        weighed.forEach((name, i) => {
          (bySlot.get(name) as ParamSlots).weight = at + 2 * i;
        });
      }
      if (doHistogram && o.histogram !== false && names.length > 0) {
        const { bins, min, max } = o.histogram;
        const width = (max - min) / bins;
        const counts = names.map((name) => {
          const g = tf.reshape(f32(grads[name] as tf.Tensor), [-1]);
          const lg = tf.div(tf.log(tf.abs(g)), Math.LN10);
          // Bin 0 is the underflow (zeros: log = −∞), bins + 1 the overflow; NaN is dropped.
          const raw = tf.add(tf.floor(tf.div(tf.sub(lg, min), width)), 1);
          const nan = tf.isNaN(raw);
          const valid = tf.cast(tf.logicalNot(nan), 'float32');
          const idx = tf.cast(tf.clipByValue(tf.where(nan, tf.zerosLike(raw), raw), 0, bins + 1), 'int32');
          return tf.bincount(idx as tf.Tensor1D, valid as tf.Tensor1D, bins + 2);
        });
        histAt = reader.add(tf.keep(counts.length === 1 ? (counts[0] as tf.Tensor) : tf.addN(counts)));
      }
      for (const name of input.disconnected ?? []) {
        if (name in grads) continue;
        const w = weightsAt?.[name];
        disconnectedSlots.push({
          name,
          at: w ? reader.add(tf.keep(scaledPairs({ w }, ['w']))) : -1,
        });
      }
      const mb = input.microBatchGrads;
      if (mb && mb.length >= 2) {
        // SNR = ‖ḡ‖² / tr Σ̂, Σ̂ the unbiased covariance of the micro-batch gradients. Per name
        // [m, Σ(ḡ/m)², Σ((g−ḡ)/m)²/(k−1)] with m the largest magnitude, summed on the host.
        const k = mb.length;
        const perName = names.map((name) => {
          const gs = mb.map((m, i) => {
            const t = m[name];
            if (!t) {
              throw new InvalidArgumentError(
                `GradientMonitor.record: input.microBatchGrads[${i}] must have every name of grads, got none for ${JSON.stringify(name)}`,
              );
            }
            return tf.reshape(f32(t), [-1]);
          });
          const stacked = tf.stack(gs);
          const m = tf.maximum(tf.max(tf.abs(stacked)), SCALE_FLOOR);
          const scaled = tf.div(stacked, m);
          const mean = tf.mean(scaled, 0);
          return tf.stack([
            m,
            tf.sum(tf.square(mean)),
            tf.div(tf.sum(tf.square(tf.sub(scaled, mean))), k - 1),
          ]);
        });
        snrAt = reader.add(tf.keep(perName.length === 1 ? (perName[0] as tf.Tensor) : tf.concat(perName)));
        snrCount = names.length;
      }
    });

    const lossNumber = typeof input.loss === 'number' ? input.loss : null;
    let done = false;
    const finish = (
      v: Float64Array,
      extra: Partial<Pick<StepRecord, 'info' | 'taps' | 'guard'>> = {},
    ): StepRecord => {
      if (done)
        throw new InvalidArgumentError('GradientMonitor: a plan can be finished once, got a second call');
      done = true;
      let normSq = 0;
      let dot = 0;
      let finite = true;
      let sums: CentralSums = { n: 0, mean: 0, m2: 0, m3: 0, m4: 0 };
      const scales = new Map<string, number>();
      const parameters: ParameterRecord[] = slots.map((s) => {
        const gSq = pairSquared(v[s.grad] as number, v[s.grad + 1] as number);
        normSq += gSq;
        const gradNorm = Math.sqrt(gSq);
        const weightNorm =
          s.weight >= 0 ? Math.sqrt(pairSquared(v[s.weight] as number, v[s.weight + 1] as number)) : null;
        if (!Number.isFinite(gSq) || (weightNorm !== null && !Number.isFinite(weightNorm))) finite = false;
        const scale = s.scale !== undefined ? (v[s.scale] as number) : 1;
        scales.set(s.name, scale);
        if (s.dot !== undefined) dot += scale * (prevScales?.get(s.name) ?? 1) * (v[s.dot] as number);
        const rec: {
          -readonly [K in keyof ParameterRecord]: ParameterRecord[K];
        } = {
          name: s.name,
          gradNorm,
          weightNorm,
          ratio: weightNorm !== null && weightNorm > 0 ? gradNorm / weightNorm : null,
          updateRatio:
            s.update !== undefined && weightNorm !== null && weightNorm > 0
              ? Math.sqrt(pairSquared(v[s.update] as number, v[s.update + 1] as number)) / weightNorm
              : null,
        };
        if (s.sum !== undefined) {
          // Central sums from the power sums sₚ = Σ(g/m)ᵖ of the scaled gradient (float64 on the
          // host), then back to g's units: the p-th central sum scales by mᵖ.
          const n = s.n;
          const m = v[s.scale as number] as number;
          const mu = (v[s.sum] as number) / n;
          const s2 = v[(s.scale as number) + 1] as number;
          const s3 = v[s.sum + 1] as number;
          const s4 = v[s.sum + 2] as number;
          const ps: CentralSums = {
            n,
            mean: m * mu,
            m2: m * m * Math.max(0, s2 - n * mu * mu),
            m3: m ** 3 * (s3 - 3 * mu * s2 + 2 * n * mu ** 3),
            m4: m ** 4 * Math.max(0, s4 - 4 * mu * s3 + 6 * mu * mu * s2 - 3 * n * mu ** 4),
          };
          sums = mergeSums(sums, ps);
          Object.assign(rec, describeSums(ps));
        }
        if (s.dead !== undefined) rec.deadUnitFraction = v[s.dead] as number;
        return rec;
      });
      for (const { name, at } of disconnectedSlots) {
        parameters.push({
          name,
          gradNorm: null,
          weightNorm: at >= 0 ? Math.sqrt(pairSquared(v[at] as number, v[at + 1] as number)) : null,
          ratio: null,
          updateRatio: null,
        });
      }
      const globalNorm = Math.sqrt(normSq);
      const loss = lossAt >= 0 ? (v[lossAt] as number) : lossNumber;
      if (loss !== null && !Number.isFinite(loss)) finite = false;
      let histogram: GradientHistogram | undefined;
      if (histAt >= 0 && o.histogram !== false) {
        const { bins, min, max } = o.histogram;
        const all = Array.from(v.subarray(histAt, histAt + bins + 2));
        histogram = {
          edges: Array.from({ length: bins + 1 }, (_, i) => min + ((max - min) * i) / bins),
          counts: all.slice(1, bins + 1),
          underflow: all[0] as number,
          overflow: all[bins + 1] as number,
        };
      }
      const record: StepRecord = {
        step,
        time: Date.now(),
        loss,
        globalNorm,
        cosine: cosineOk ? dot / Math.sqrt(normSq * this.prevGradNormSq) : null,
        ...(o.moments && slots.length > 0 ? { distribution: describeSums(sums) } : {}),
        ...(histogram ? { histogram } : {}),
        ...(snrAt >= 0 ? { snr: snrOf(v, snrAt, snrCount) } : {}),
        parameters,
        ...(extra.taps ? { taps: extra.taps } : {}),
        ...(extra.info ? { info: extra.info } : {}),
        finite,
        ...(extra.guard ? { guard: extra.guard } : {}),
      };
      // Keep zero-copy handles on this step's gradient and weights for the next step.
      if (o.cosine && finite) {
        this.releaseGrads();
        const kept: Record<string, tf.Tensor> = {};
        for (const name of names) kept[name] = tf.keep(alias(grads[name] as tf.Tensor));
        this.prevGrads = kept;
        this.prevGradNormSq = normSq;
        this.prevScales = scales;
      }
      if (o.updateRatio && !after && input.params) {
        this.releaseParams();
        const kept: Record<string, tf.Tensor> = {};
        for (const name of names) {
          const w = input.params[name];
          if (w) kept[name] = tf.keep(alias(w));
        }
        this.prevParams = kept;
      }
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

  /** @internal Appends a record made elsewhere (a skipped step) and passes it to the loggers. */
  push(record: StepRecord): void {
    this.buffer.push(record);
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

  /** Frees the tensors the monitor holds; records stay readable. */
  dispose(): void {
    this.releaseGrads();
    this.releaseParams();
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

/** ‖ḡ‖² / tr Σ̂ from `count` triples [m, Σ(ḡ/m)², tr Σ̂/m²] at `at`, summed in float64. */
function snrOf(v: Float64Array, at: number, count: number): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < count; i++) {
    const m = v[at + 3 * i] as number;
    signal += m * m * (v[at + 3 * i + 1] as number);
    noise += m * m * (v[at + 3 * i + 2] as number);
  }
  return signal / noise;
}
