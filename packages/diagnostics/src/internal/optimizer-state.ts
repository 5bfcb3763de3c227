import { setOptimizerIterations } from '@gflow/core/internal/tfjs';
import * as tf from '@tensorflow/tfjs';
import { alias } from './tensors.js';

/**
 * A slot of a tfjs optimizer: a variable it owns (Adam's moments, accBeta1, momentum
 * accumulators), found by walking its own fields. `key` is stable for one optimizer.
 */
interface Slot {
  readonly key: string;
  readonly variable: tf.Variable;
}

/** Arrays of `{ originalName, variable }` entries an optimizer grows lazily, by field name. */
type SlotArrays = Map<string, { originalName: string; variable: tf.Variable }[]>;

function slotArrays(opt: tf.Optimizer): SlotArrays {
  const out: SlotArrays = new Map();
  for (const [field, value] of Object.entries(opt as unknown as Record<string, unknown>)) {
    if (
      Array.isArray(value) &&
      value.every(
        (e) =>
          e == null ||
          (typeof e === 'object' && (e as { variable?: unknown }).variable instanceof tf.Variable),
      )
    ) {
      out.set(field, value as { originalName: string; variable: tf.Variable }[]);
    }
  }
  return out;
}

/** Every variable an optimizer holds, keyed by field (and index). */
export function optimizerSlots(opt: tf.Optimizer): Slot[] {
  const slots: Slot[] = [];
  for (const [field, value] of Object.entries(opt as unknown as Record<string, unknown>)) {
    if (value instanceof tf.Variable) slots.push({ key: field, variable: value });
  }
  for (const [field, arr] of slotArrays(opt)) {
    arr.forEach((e, i) => {
      if (e != null) slots.push({ key: `${field}.${i}`, variable: e.variable });
    });
  }
  return slots;
}

/** The optimizer's learning rate, when it has a numeric one. */
export function getLearningRate(opt: tf.Optimizer): number | undefined {
  const lr = (opt as unknown as { learningRate?: unknown }).learningRate;
  return typeof lr === 'number' ? lr : undefined;
}

/**
 * Sets the learning rate of a tfjs optimizer: through `setLearningRate` where it exists (SGD and
 * momentum keep a scalar tensor of it), else by assigning the `learningRate` field that Adam,
 * RMSProp, Adagrad, Adadelta and Adamax read at every step.
 */
export function setLearningRate(opt: tf.Optimizer, lr: number): boolean {
  const o = opt as unknown as { setLearningRate?: (lr: number) => void; learningRate?: unknown };
  if (typeof o.setLearningRate === 'function') {
    o.setLearningRate(lr);
    return true;
  }
  if (typeof o.learningRate === 'number') {
    o.learningRate = lr;
    return true;
  }
  return false;
}

/** A point-in-time copy of variables and optimizer state, held as zero-copy tensor handles. */
export interface StateSnapshot {
  /** Step at which it was taken. */
  readonly step: number;
  /** Model variables by name (kept tensors). */
  readonly vars: ReadonlyMap<tf.Variable, tf.Tensor>;
  /** Optimizer slots by key (kept tensors). */
  readonly slots: ReadonlyMap<string, tf.Tensor>;
  /** Lengths of the optimizer's lazily grown slot arrays. */
  readonly arrayLengths: ReadonlyMap<string, number>;
  /** The optimizer's iteration counter. */
  readonly iterations: number;
}

/** Takes a snapshot (no data is copied: tfjs values are immutable and `assign` swaps buffers). */
export function takeSnapshot(step: number, vars: readonly tf.Variable[], opt: tf.Optimizer): StateSnapshot {
  const v = new Map<tf.Variable, tf.Tensor>();
  for (const x of vars) v.set(x, tf.keep(alias(x)));
  const s = new Map<string, tf.Tensor>();
  for (const slot of optimizerSlots(opt)) s.set(slot.key, tf.keep(alias(slot.variable)));
  const lengths = new Map<string, number>();
  for (const [field, arr] of slotArrays(opt)) lengths.set(field, arr.length);
  return { step, vars: v, slots: s, arrayLengths: lengths, iterations: opt.iterations };
}

/**
 * Puts variables and optimizer state back as they were in `snap`. Slots the optimizer created
 * after the snapshot are disposed and removed, so that it creates them afresh.
 */
export function restoreSnapshot(snap: StateSnapshot, opt: tf.Optimizer): void {
  for (const [v, t] of snap.vars) if (!v.isDisposed) v.assign(t);
  for (const [field, arr] of slotArrays(opt)) {
    const n = snap.arrayLengths.get(field) ?? 0;
    for (let i = arr.length - 1; i >= n; i--) {
      arr[i]?.variable.dispose();
    }
    arr.length = Math.min(arr.length, n);
  }
  for (const slot of optimizerSlots(opt)) {
    const t = snap.slots.get(slot.key);
    if (t && t.size === slot.variable.size) slot.variable.assign(t);
  }
  setOptimizerIterations(opt, snap.iterations);
}

/** Frees the handles of a snapshot. */
export function disposeSnapshot(snap: StateSnapshot): void {
  for (const t of snap.vars.values()) t.dispose();
  for (const t of snap.slots.values()) t.dispose();
}
