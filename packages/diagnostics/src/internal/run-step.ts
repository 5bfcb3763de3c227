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
export interface StepOutcome {
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
export function runStep(p: StepParts): StepOutcome {
  const connected = p.names.filter((n) => p.grads[n] !== undefined);
  const varOf = new Map(p.names.map((n, i) => [n, p.vars[i] as tf.Variable]));
  const params: Record<string, tf.Tensor> = {};
  for (const n of connected) params[n] = varOf.get(n) as tf.Variable;
  const grads: Record<string, tf.Tensor> = {};
  for (const n of connected) grads[n] = p.grads[n] as tf.Tensor;

  const reader = new BatchedRead();
  const owned: tf.Tensor[] = [];
  let plan: MonitorPlan | undefined;
  try {
    // 0. The raw gradients' norms as scale-safe pairs, once, for everything that needs them.
    const sq = scaledPairs(grads, connected);
    // The reader owns (and disposes) `sq`; it is read back with everything else.
    const sqAt = reader.add(sq);
    // 1. Transform the gradients (the guard's clipping last).
    let g: Record<string, tf.Tensor> = grads;
    const info: Record<string, tf.Scalar> = {};
    if (p.transform) {
      const slot = p.transform;
      if (slot.state === undefined) slot.state = slot.transform.init(params);
      // The shared-norms path is looked up from the transform's own `update`: an override runs.
      const path = normsPathOf(slot.transform);
      const r = path
        ? path(g, { names: connected, pairs: sq }, slot.state, params)
        : slot.transform.update(g, slot.state, params);
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
        clipFactorFromPairs(g === grads ? sq : pairsOf(g), clip),
      );
      g = scaleAll(g, scale);
      scale.dispose();
      owned.push(...Object.values(g));
    }
    // 2. Mark the state before the update (zero-copy), for the guard and the update ratio.
    p.guard?.begin(p.step, p.vars, p.optimizer);
    const before: Record<string, tf.Tensor> = {};
    if (p.monitor) {
      for (const n of connected) before[n] = tf.keep(alias(params[n] as tf.Tensor));
      // Disconnected parameters get no gradient, but the monitor still reports their weight norm.
      for (const n of p.disconnected) {
        const v = varOf.get(n);
        if (v) before[n] = tf.keep(alias(v));
      }
    }
    owned.push(...Object.values(before));
    // 3. Apply.
    const byVarName: Record<string, tf.Tensor> = {};
    for (const n of connected) byVarName[(varOf.get(n) as tf.Variable).name] = g[n] as tf.Tensor;
    p.optimizer.applyGradients(byVarName);
    // 4. Constrain the new weights (spectral normalisation and the like).
    if (p.constraint) {
      const slot = p.constraint;
      if (slot.state === undefined) slot.state = slot.transform.init(params);
      const r = slot.transform.update(params, slot.state);
      slot.state = r.state;
      for (const [n, t] of Object.entries(r.params)) {
        const v = varOf.get(n);
        if (v) v.assign(t);
        t.dispose();
      }
      Object.assign(info, r.info);
    }
    // 5. Everything to read, in one transfer.
    const lossAt = p.loss ? reader.add(tf.reshape(p.loss, [1])) : -1;
    const weightsAt = p.guard ? reader.add(pairsOf(params)) : -1;
    const infoKeys = Object.keys(info);
    const infoAt = infoKeys.map((k) => reader.add(info[k] as tf.Scalar));
    const tapAt = (p.taps ?? []).map((t) => (t.gradPair ? reader.add(t.gradPair) : -1));
    if (p.monitor) {
      plan = p.monitor.plan(
        reader,
        {
          grads,
          params,
          paramsBefore: before,
          step: p.step,
          disconnected: p.disconnected,
          ...(p.microBatchGrads ? { microBatchGrads: p.microBatchGrads } : {}),
          ...(p.loss ? { loss: p.loss } : {}),
        },
        { names: connected, at: sqAt, ...(lossAt >= 0 ? { lossAt } : {}) },
      );
    }
    const v = reader.read();
    // 6. Judge.
    const loss = lossAt >= 0 ? (v[lossAt] as number) : null;
    let rawNormSq = 0;
    for (const x of decodeSquared(v, sqAt, connected.length)) rawNormSq += x;
    const globalNorm = Math.sqrt(rawNormSq);
    const infoValues: Record<string, number> = {};
    infoKeys.forEach((k, i) => {
      infoValues[k] = v[infoAt[i] as number] as number;
    });
    let event: GuardEvent | undefined;
    if (p.guard) {
      const verdict = p.guard.judge({
        loss: loss ?? Number.NaN,
        lossKnown: loss !== null,
        globalNorm,
        weightsFinite: decodeSquared(v, weightsAt, Object.keys(params).length).every(Number.isFinite),
      });
      if (verdict.ok) p.guard.accept(p.step, globalNorm, p.vars, p.optimizer);
      else event = p.guard.reject(p.step, verdict, { loss: loss ?? Number.NaN, globalNorm }, p.optimizer);
    }
    const taps = (p.taps ?? []).map((t, i) => ({
      name: t.name,
      gradNorm:
        (tapAt[i] as number) >= 0
          ? Math.sqrt(pairSquared(v[tapAt[i] as number] as number, v[(tapAt[i] as number) + 1] as number))
          : null,
    }));
    const record = plan?.finish(v, {
      ...(infoKeys.length > 0 ? { info: infoValues } : {}),
      ...(taps.length > 0 ? { taps } : {}),
      ...(event ? { guard: { action: event.actions.join(',') || 'none', reason: event.reason } } : {}),
    });
    plan = undefined;
    const outcome: StepOutcome = {
      applied: event === undefined,
      loss,
      globalNorm,
      info: infoValues,
      ...(record ? { record } : {}),
      ...(event ? { event } : {}),
    };
    return outcome;
  } finally {
    plan?.abandon();
    reader.dispose();
    for (const t of owned) if (!t.isDisposed) t.dispose();
  }
}
