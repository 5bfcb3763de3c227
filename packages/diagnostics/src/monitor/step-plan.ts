import { describeValue, InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { type CentralSums, describeSums, mergeSums } from '../internal/moments.js';
import { type BatchedRead, f32, type NamedTensors } from '../internal/tensors.js';
import type { GradientHistogram, ParameterRecord } from '../step-record.js';
import type { AnyParameterStat, StatInput } from './parameter-stat.js';
import { PARAMETER_STATS, type ParameterStatOptions } from './parameter-stats.js';
import { addToRead, type Pair, ParamParts, pairAt, type Slot, squared, valueAt } from './slots.js';
import { cosineOf, planCosine } from './stats/cosine.js';
import { planGradientScale, type ScaledGradient } from './stats/gradient-scale.js';
import { type HistogramBins, planHistogram } from './stats/histogram.js';
import { centralSums, planMoments } from './stats/moments.js';
import { planNormPairs } from './stats/norm-pairs.js';
import { planSnr } from './stats/snr.js';
import { planUpdate, updateRatioOf } from './stats/update-ratio.js';

/**
 * How a `GradientMonitor` step is planned into the one batched read-back and decoded from it:
 * each statistic (one file each in `stats/`) adds its tensors and returns a typed slot; here they
 * are put together per parameter and per step, and read back into a record's numbers.
 *
 * @internal
 * @module
 */

/** The monitor's options, resolved. */
export interface MonitorSettings {
  readonly moments: boolean;
  readonly cosine: boolean;
  readonly updateRatio: boolean;
  readonly weightNorms: boolean;
  /** The registered per-parameter statistics that are on, in `PARAMETER_STATS` order. */
  readonly stats: readonly StatSetting[];
  readonly histogram: false | (HistogramBins & { readonly every: number });
}

/** A per-parameter statistic that is on, with its resolved setting. */
export interface StatSetting {
  readonly stat: AnyParameterStat;
  readonly setting: unknown;
}

/** The options of every statistic in `PARAMETER_STATS`, checked; those left on, in order. */
export function resolveParameterStats(options: ParameterStatOptions): StatSetting[] {
  const out: StatSetting[] = [];
  for (const stat of PARAMETER_STATS as readonly AnyParameterStat[]) {
    const key = stat.option;
    const setting = stat.resolve(
      'GradientMonitor',
      `options.${key}`,
      (options as Record<string, unknown>)[key],
    );
    if (setting !== false) out.push({ stat, setting });
  }
  return out;
}

/** What the monitor kept from the previous step (zero-copy handles). */
export interface PreviousStep {
  readonly grads: Record<string, tf.Tensor> | undefined;
  /** The scale m each of `grads` was divided by in its step's dot products. */
  readonly scales: Map<string, number> | undefined;
  readonly params: Record<string, tf.Tensor> | undefined;
  readonly gradNormSq: number;
}

/** What a step's input to the monitor holds (see `MonitorInput`). */
export interface StepInput {
  readonly grads: NamedTensors;
  readonly params?: NamedTensors | undefined;
  readonly paramsBefore?: NamedTensors | undefined;
  readonly loss?: tf.Scalar | number | undefined;
  readonly microBatchGrads?: readonly NamedTensors[] | undefined;
  readonly disconnected?: readonly string[] | undefined;
}

/** Squared gradient norms a training step already put in the read (see `SharedGradNorms`). */
export interface SharedNorms {
  readonly names: readonly string[];
  readonly at: number;
  readonly lossAt?: number;
}

/** One parameter's slots. */
interface ParamPlan {
  readonly name: string;
  readonly n: number;
  grad?: Slot<Pair>;
  weight?: Slot<Pair>;
  scale?: Slot<Pair>;
  moments?: Slot<Float64Array>;
  dot?: Slot<number>;
  /** The registered statistics' slots, in `PARAMETER_STATS` order. */
  readonly stats: { readonly stat: AnyParameterStat; readonly slot: Slot<unknown> }[];
  update?: Slot<Pair>;
}

/** Every slot of one step. */
export interface StepPlan {
  readonly names: readonly string[];
  /** Whether the previous step's gradients match this step's (the cosine is defined). */
  readonly cosineOk: boolean;
  readonly params: readonly ParamPlan[];
  readonly disconnected: readonly { name: string; weight: Slot<Pair> | undefined }[];
  readonly loss: Slot<number> | undefined;
  readonly histogram: Slot<GradientHistogram> | undefined;
  readonly snr: Slot<number | null> | undefined;
}

/** The checks of `GradientMonitor.record`'s input: grads a record, params and paramsBefore matching. */
export function checkStepInput(input: StepInput): void {
  const grads = input?.grads;
  if (grads == null || typeof grads !== 'object') {
    throw new InvalidArgumentError(
      `GradientMonitor.record: input.grads must be a record of tensors, got ${describeValue(grads)}`,
    );
  }
  const names = Object.keys(grads);
  for (const [label, rec] of [
    ['params', input.params],
    ['paramsBefore', input.paramsBefore],
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
}

/**
 * Adds every statistic of one step to `reader` (call inside `tf.tidy`; what joins the read is
 * kept) and returns the slots to decode them with.
 */
export function planStep(
  reader: BatchedRead,
  input: StepInput,
  o: MonitorSettings,
  prev: PreviousStep,
  step: number,
  shared: SharedNorms | undefined,
): StepPlan {
  const grads = input.grads;
  const names = Object.keys(grads);
  const before = input.paramsBefore;
  // ‖θ‖ is read when the record reports it or the update ratio needs it as its denominator.
  const weightsAt = o.weightNorms || o.updateRatio ? (before ?? input.params) : undefined;
  const prevGrads = o.cosine ? prev.grads : undefined;
  const cosineOk =
    prevGrads !== undefined &&
    names.length === Object.keys(prevGrads).length &&
    names.every((n) => prevGrads[n] !== undefined && prevGrads[n].size === (grads[n] as tf.Tensor).size);
  // With paramsBefore the update is this step's (before → params); without, params are the
  // weights the gradient was taken at and the update is the previous record's params → these.
  const update = { from: before ?? prev.params, to: input.params };
  const loss =
    input.loss instanceof tf.Tensor
      ? shared?.lossAt !== undefined
        ? valueAt(() => shared.lossAt as number)
        : valueAt(addToRead(reader, tf.reshape(input.loss, [1])))
      : undefined;
  const params = names.map((name) => {
    const p = planParameter(name, grads, o, cosineOk ? prevGrads : undefined, prev.scales, update);
    p.plan.flush(reader);
    return p.slots;
  });
  const sharedAt = new Map((shared?.names ?? []).map((n, i) => [n, 2 * i]));
  const unsquared: string[] = [];
  for (const p of params) {
    const i = sharedAt.get(p.name);
    if (i !== undefined && shared) p.grad = pairAt(() => shared.at + i);
    else if (!p.grad) unsquared.push(p.name);
  }
  for (const [name, slot] of planNormPairs(reader, grads, unsquared)) setSlot(params, name, 'grad', slot);
  const weighed = weightsAt ? names.filter((n) => weightsAt[n]) : [];
  for (const [name, slot] of planNormPairs(reader, weightsAt ?? {}, weighed))
    setSlot(params, name, 'weight', slot);
  // A histogram at the first step and every `every` after it (steps count from 1).
  const h = o.histogram;
  const histogram =
    h !== false && (step - 1) % h.every === 0 && names.length > 0
      ? planHistogram(reader, grads, names, h)
      : undefined;
  const disconnected = (input.disconnected ?? [])
    .filter((name) => !(name in grads))
    .map((name) => {
      const w = weightsAt?.[name];
      return { name, weight: w ? planNormPairs(reader, { w }, ['w']).get('w') : undefined };
    });
  const mb = input.microBatchGrads;
  const snr = mb && mb.length >= 2 ? planSnr(reader, names, mb) : undefined;
  return { names, cosineOk, params, disconnected, loss, histogram, snr };
}

function setSlot(params: readonly ParamPlan[], name: string, key: 'grad' | 'weight', slot: Slot<Pair>): void {
  const p = params.find((q) => q.name === name) as ParamPlan;
  p[key] = slot;
}

/** One parameter's statistics of g/m and of its update, in one entry of the read. */
function planParameter(
  name: string,
  grads: NamedTensors,
  o: MonitorSettings,
  prevGrads: Record<string, tf.Tensor> | undefined,
  prevScales: Map<string, number> | undefined,
  update: { from: NamedTensors | undefined; to: NamedTensors | undefined },
): { plan: ParamParts; slots: ParamPlan } {
  const g = f32(grads[name] as tf.Tensor);
  const slots: ParamPlan = { name, n: g.size, stats: [] };
  const plan = new ParamParts();
  // g/m is made once, by the first statistic that needs it; its pair is then this gradient's
  // norm, unless a training step shares one.
  let scaledGrad: ScaledGradient | undefined;
  const scaled = (): ScaledGradient => {
    if (!scaledGrad) {
      const made = planGradientScale(g, plan);
      scaledGrad = made.scaled;
      slots.scale = made.slot;
      slots.grad = made.slot;
    }
    return scaledGrad;
  };
  if (g.size > 0) {
    if (o.moments) slots.moments = planMoments(scaled(), plan);
    if (o.cosine) {
      // The cosine keeps this step's scale for the next step, so g/m is made even without one before.
      const s = scaled();
      const previous = prevGrads?.[name];
      if (previous) slots.dot = planCosine(s, previous, prevScales?.get(name) ?? 1, plan);
    }
    const input: StatInput = { name, g, scaled, parts: plan };
    for (const { stat, setting } of o.stats) {
      const slot = stat.plan(input, setting);
      if (slot) slots.stats.push({ stat, slot });
    }
  }
  const from = update.from?.[name];
  const to = update.to?.[name];
  if (o.updateRatio && from && to && from.size === g.size) slots.update = planUpdate(from, to, plan);
  return { plan, slots };
}

/** The numbers of one step, decoded from the values read back. */
export interface DecodedStep {
  readonly parameters: ParameterRecord[];
  readonly normSq: number;
  readonly scales: Map<string, number>;
  readonly finite: boolean;
  readonly loss: number | null;
  readonly cosine: number | null;
  readonly distribution: ReturnType<typeof describeSums> | undefined;
  readonly histogram: GradientHistogram | undefined;
  readonly snr: number | null | undefined;
}

/** Decodes a step planned by {@link planStep} (float64 on the host). */
export function decodeStep(
  v: Float64Array,
  plan: StepPlan,
  o: MonitorSettings,
  prev: PreviousStep,
  lossNumber: number | null,
): DecodedStep {
  let normSq = 0;
  let dot = 0;
  let finite = true;
  let sums: CentralSums = { n: 0, mean: 0, m2: 0, m3: 0, m4: 0 };
  const scales = new Map<string, number>();
  const parameters: ParameterRecord[] = plan.params.map((s) => {
    const d = decodeParameter(v, s);
    normSq += d.gSq;
    if (!Number.isFinite(d.gSq) || (d.record.weightNorm !== null && !Number.isFinite(d.record.weightNorm)))
      finite = false;
    scales.set(s.name, d.scale);
    if (d.dot !== undefined) dot += d.scale * (prev.scales?.get(s.name) ?? 1) * d.dot;
    if (d.sums) sums = mergeSums(sums, d.sums);
    return d.record;
  });
  for (const { name, weight } of plan.disconnected) {
    const w = weight?.read(v);
    parameters.push({
      name,
      gradNorm: null,
      weightNorm: w ? Math.sqrt(squared(w)) : null,
      ratio: null,
      updateRatio: null,
    });
  }
  const loss = plan.loss ? plan.loss.read(v) : lossNumber;
  if (loss !== null && !Number.isFinite(loss)) finite = false;
  return {
    parameters,
    normSq,
    scales,
    finite,
    loss,
    cosine: plan.cosineOk ? cosineOf(dot, normSq, prev.gradNormSq) : null,
    distribution: o.moments && plan.params.length > 0 ? describeSums(sums) : undefined,
    histogram: plan.histogram?.read(v),
    snr: plan.snr?.read(v),
  };
}

/** One parameter's record, its squared gradient norm, scale, dot product and central sums. */
function decodeParameter(
  v: Float64Array,
  s: ParamPlan,
): { record: ParameterRecord; gSq: number; scale: number; dot?: number; sums?: CentralSums } {
  const gSq = squared((s.grad as Slot<Pair>).read(v));
  const gradNorm = Math.sqrt(gSq);
  const weightNorm = s.weight ? Math.sqrt(squared(s.weight.read(v))) : null;
  const scalePair = s.scale?.read(v);
  const record: { -readonly [K in keyof ParameterRecord]: ParameterRecord[K] } = {
    name: s.name,
    gradNorm,
    weightNorm,
    ratio: weightNorm !== null && weightNorm > 0 ? gradNorm / weightNorm : null,
    updateRatio: s.update ? updateRatioOf(s.update.read(v), weightNorm) : null,
  };
  let sums: CentralSums | undefined;
  if (s.moments && scalePair) {
    sums = centralSums(s.n, scalePair, s.moments.read(v));
    Object.assign(record, describeSums(sums));
  }
  for (const { stat, slot } of s.stats) Object.assign(record, stat.decode(slot.read(v)));
  return {
    record,
    gSq,
    scale: scalePair ? scalePair.m : 1,
    ...(s.dot ? { dot: s.dot.read(v) } : {}),
    ...(sums ? { sums } : {}),
  };
}
