import { type Reads, runReadsSync } from '@gflow/core/internal';
import * as tf from '@tensorflow/tfjs';
import type { GradientMonitor, MonitorPlan } from '../gradient-monitor.js';
import type { StepRecord } from '../step-record.js';
import type { GuardEvent, TrainingGuard } from '../training-guard.js';
import type { ParameterTransform } from '../transforms/spectral-normalization.js';
import type { GradientTransform } from '../transforms/transform.js';
import { clipFactorFromPairs, decodeSquared, pairSquared, pairsOf, scaleAll, scaledPairs } from './norms.js';
import { normsPathOf } from './norms-path.js';
import { SCHEDULE_INFO_KEY } from './scheduled-rate.js';
import type { RecordedTap } from './tap-recorder.js';
import { alias, BatchedRead } from './tensors.js';

/** A transform and its current state, carried from step to step. */
export interface TransformSlot {
  readonly transform: GradientTransform<unknown>;
  state?: unknown;
}

/** A parameter transform and its current state. */
export interface ConstraintSlot {
  readonly transform: ParameterTransform<unknown>;
  state?: unknown;
}

/** Everything one training step needs once the gradients exist. */
export interface StepParts {
  readonly step: number;
  /** Names the transform, monitor and reports use, aligned with `vars`. */
  readonly names: readonly string[];
  readonly vars: readonly tf.Variable[];
  /** Gradients by name (connected parameters only); the caller keeps and disposes them. */
  readonly grads: Readonly<Record<string, tf.Tensor>>;
  readonly disconnected: readonly string[];
  /** The loss; the caller keeps and disposes it. */
  readonly loss?: tf.Scalar;
  readonly optimizer: tf.Optimizer;
  readonly transform?: TransformSlot;
  readonly constraint?: ConstraintSlot;
  /** The learning rate a schedule set for this step, recorded in the info as `schedule.learningRate`. */
  readonly scheduledRate?: number;
  readonly monitor?: GradientMonitor;
  readonly guard?: TrainingGuard;
  /** Gradients of micro-batches (for the monitor's signal-to-noise ratio); the caller disposes them. */
  readonly microBatchGrads?: readonly Readonly<Record<string, tf.Tensor>>[];
  /** Tap recordings; their tensors are consumed. */
  readonly taps?: readonly { readonly name: string; gradPair?: tf.Tensor1D }[] | readonly RecordedTap[];
}

/** What one training step did. */
export interface TrainStepResult {
  /** Whether the update stands (false when the guard undid it). */
  readonly applied: boolean;
  /** The loss, or null when none was given. */
  readonly loss: number | null;
  /** The raw global gradient norm (before any transform). */
  readonly globalNorm: number;
  /** The transforms' information, as numbers. */
  readonly info: Readonly<Record<string, number>>;
  /** The monitor's record, when there is a monitor. */
  readonly record?: StepRecord;
  /** The guard's event, when it rejected the step. */
  readonly event?: GuardEvent;
}

/**
 * Transforms, applies, constrains, monitors and guards one step, with one read-back for all of
 * it. Gradients are keyed by `names`; the optimizer is given them keyed by variable name.
 *
 * The raw gradients' norms are computed once, as scale-safe pairs [m, s] per gradient
 * (‖g‖² = m²·s; see `norms.ts`): the transform gets them through its shared-norms path
 * (`clipByGlobalNorm` derives its scale from them), the monitor's per-parameter norms are their
 * values in the read-back, and the raw global norm is their sum on the host (float64), exact for
 * gradients of any magnitude a float32 tensor can hold.
 */
export function runStep(p: StepParts): TrainStepResult {
  return runReadsSync(runStepReads(p));
}

/** {@link runStep} as a {@link Reads} computation: its one read-back, by either driver. */
export function* runStepReads(p: StepParts): Reads<TrainStepResult> {
  const c = contextOf(p);
  const reader = new BatchedRead();
  const owned: tf.Tensor[] = [];
  let plan: MonitorPlan | undefined;
  try {
    // 0. The raw gradients' norms as scale-safe pairs, once, for everything that needs them.
    const sq = scaledPairs(c.grads, c.connected);
    // The reader owns (and disposes) `sq`; it is read back with everything else.
    const sqAt = reader.add(sq);
    // 1. Transform the gradients (the guard's clipping last).
    const info: Record<string, tf.Scalar> = {};
    const g = transformGradients(p, c, sq, info, owned);
    // 2. Mark the state before the update (zero-copy), for the guard and the update ratio.
    p.guard?.begin(p.step, p.vars, p.optimizer);
    const before = markBefore(p, c, owned);
    // 3. Apply, then 4. constrain the new weights (spectral normalisation and the like).
    applyAndConstrain(p, c, g, info);
    // 5. Everything to read, in one transfer.
    const reads = planReads(p, c, reader, info, sqAt, before);
    plan = reads.plan;
    const v = yield* reader.reads();
    // 6. Judge and record.
    const outcome = judgeAndRecord(p, c, v, reads, sqAt);
    plan = undefined;
    return outcome;
  } finally {
    plan?.abandon();
    reader.dispose();
    for (const t of owned) if (!t.isDisposed) t.dispose();
  }
}

/** The step's parameters and raw gradients by name (connected parameters only). */
interface StepContext {
  readonly connected: readonly string[];
  readonly varOf: ReadonlyMap<string, tf.Variable>;
  readonly params: Record<string, tf.Tensor>;
  readonly grads: Record<string, tf.Tensor>;
}

function contextOf(p: StepParts): StepContext {
  const connected = p.names.filter((n) => p.grads[n] !== undefined);
  const varOf = new Map(p.names.map((n, i) => [n, p.vars[i] as tf.Variable]));
  const params: Record<string, tf.Tensor> = {};
  const grads: Record<string, tf.Tensor> = {};
  for (const n of connected) {
    params[n] = varOf.get(n) as tf.Variable;
    grads[n] = p.grads[n] as tf.Tensor;
  }
  return { connected, varOf, params, grads };
}

/** The transform's gradients (given the shared norms), then the guard's clipping; adds their info. */
function transformGradients(
  p: StepParts,
  c: StepContext,
  sq: tf.Tensor1D,
  info: Record<string, tf.Scalar>,
  owned: tf.Tensor[],
): Record<string, tf.Tensor> {
  let g = c.grads;
  if (p.transform) {
    const slot = p.transform;
    if (slot.state === undefined) slot.state = slot.transform.init(c.params);
    // The shared-norms path is looked up from the transform's own `update`: an override runs.
    const path = normsPathOf(slot.transform);
    const r = path
      ? path(g, { names: c.connected, pairs: sq }, slot.state, c.params)
      : slot.transform.update(g, slot.state, c.params);
    slot.state = r.state;
    g = r.grads;
    owned.push(...Object.values(g));
    Object.assign(info, r.info);
  }
  if (p.scheduledRate !== undefined) info[SCHEDULE_INFO_KEY] = tf.scalar(p.scheduledRate);
  const clip = p.guard?.clipNorm;
  if (clip !== undefined) {
    const scale = tf.tidy(() =>
      // Untransformed gradients: their norms are the shared ones.
      clipFactorFromPairs(g === c.grads ? sq : pairsOf(g), clip),
    );
    g = scaleAll(g, scale);
    scale.dispose();
    owned.push(...Object.values(g));
  }
  return g;
}

/** Zero-copy handles on the weights before the update, for the monitor's update ratio. */
function markBefore(p: StepParts, c: StepContext, owned: tf.Tensor[]): Record<string, tf.Tensor> {
  const before: Record<string, tf.Tensor> = {};
  if (!p.monitor) return before;
  for (const n of c.connected) before[n] = tf.keep(alias(c.params[n] as tf.Tensor));
  // Disconnected parameters get no gradient, but the monitor still reports their weight norm.
  for (const n of p.disconnected) {
    const v = c.varOf.get(n);
    if (v) before[n] = tf.keep(alias(v));
  }
  owned.push(...Object.values(before));
  return before;
}

/** Applies the gradients (keyed by variable name), then the constraint; adds its info. */
function applyAndConstrain(
  p: StepParts,
  c: StepContext,
  g: Record<string, tf.Tensor>,
  info: Record<string, tf.Scalar>,
): void {
  const byVarName: Record<string, tf.Tensor> = {};
  for (const n of c.connected) byVarName[(c.varOf.get(n) as tf.Variable).name] = g[n] as tf.Tensor;
  p.optimizer.applyGradients(byVarName);
  if (!p.constraint) return;
  const slot = p.constraint;
  if (slot.state === undefined) slot.state = slot.transform.init(c.params);
  const r = slot.transform.update(c.params, slot.state);
  slot.state = r.state;
  for (const [n, t] of Object.entries(r.params)) {
    const v = c.varOf.get(n);
    if (v) v.assign(t);
    t.dispose();
  }
  Object.assign(info, r.info);
}

/** Where each number of the step sits in the one read-back. */
interface StepReads {
  readonly lossAt: number;
  readonly weightsAt: number;
  readonly infoKeys: readonly string[];
  readonly infoAt: readonly number[];
  readonly tapAt: readonly number[];
  readonly plan: MonitorPlan | undefined;
}

/** Adds the loss, the new weights' norms (for the guard), the info, the taps and the monitor's numbers. */
function planReads(
  p: StepParts,
  c: StepContext,
  reader: BatchedRead,
  info: Record<string, tf.Scalar>,
  sqAt: number,
  before: Record<string, tf.Tensor>,
): StepReads {
  const lossAt = p.loss ? reader.add(tf.reshape(p.loss, [1])) : -1;
  const weightsAt = p.guard ? reader.add(pairsOf(c.params)) : -1;
  const infoKeys = Object.keys(info);
  const infoAt = infoKeys.map((k) => reader.add(info[k] as tf.Scalar));
  const tapAt = (p.taps ?? []).map((t) => (t.gradPair ? reader.add(t.gradPair) : -1));
  const plan = p.monitor?.plan(
    reader,
    {
      grads: c.grads,
      params: c.params,
      paramsBefore: before,
      step: p.step,
      disconnected: p.disconnected,
      ...(p.microBatchGrads ? { microBatchGrads: p.microBatchGrads } : {}),
      ...(p.loss ? { loss: p.loss } : {}),
    },
    { names: c.connected, at: sqAt, ...(lossAt >= 0 ? { lossAt } : {}) },
  );
  return { lossAt, weightsAt, infoKeys, infoAt, tapAt, plan };
}

/** Decodes the step, lets the guard judge it, and finishes the monitor's record. */
function judgeAndRecord(
  p: StepParts,
  c: StepContext,
  v: Float64Array,
  reads: StepReads,
  sqAt: number,
): TrainStepResult {
  const loss = reads.lossAt >= 0 ? (v[reads.lossAt] as number) : null;
  let rawNormSq = 0;
  for (const x of decodeSquared(v, sqAt, c.connected.length)) rawNormSq += x;
  const globalNorm = Math.sqrt(rawNormSq);
  const infoValues: Record<string, number> = {};
  reads.infoKeys.forEach((k, i) => {
    infoValues[k] = v[reads.infoAt[i] as number] as number;
  });
  let event: GuardEvent | undefined;
  if (p.guard) {
    const verdict = p.guard.judge({
      loss: loss ?? Number.NaN,
      lossKnown: loss !== null,
      globalNorm,
      weightsFinite: decodeSquared(v, reads.weightsAt, Object.keys(c.params).length).every(Number.isFinite),
    });
    if (verdict.clipped)
      event = p.guard.keepClipped(p.step, { loss: loss ?? Number.NaN, globalNorm }, p.optimizer);
    else if (verdict.ok) p.guard.accept(p.step, globalNorm, p.vars, p.optimizer);
    else event = p.guard.reject(p.step, verdict, { loss: loss ?? Number.NaN, globalNorm }, p.optimizer);
  }
  const taps = (p.taps ?? []).map((t, i) => {
    const at = reads.tapAt[i] as number;
    return {
      name: t.name,
      gradNorm: at >= 0 ? Math.sqrt(pairSquared(v[at] as number, v[at + 1] as number)) : null,
    };
  });
  const record = reads.plan?.finish(v, {
    ...(reads.infoKeys.length > 0 ? { info: infoValues } : {}),
    ...(taps.length > 0 ? { taps } : {}),
    ...(event ? { guard: { action: event.actions.join(',') || 'none', reason: event.reason } } : {}),
  });
  return {
    applied: event === undefined || event.restoredStep === undefined,
    loss,
    globalNorm,
    info: infoValues,
    ...(record ? { record } : {}),
    ...(event ? { event } : {}),
  };
}
