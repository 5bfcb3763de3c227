import { describeValue, InvalidArgumentError, NonFiniteError } from '@gflow/core';
import type * as tf from '@tensorflow/tfjs';
import {
  disposeSnapshot,
  getLearningRate,
  restoreSnapshot,
  type StateSnapshot,
  setLearningRate,
  takeSnapshot,
} from './internal/optimizer-state.js';
import { readSnapshotFile, writeSnapshotFile } from './internal/snapshot-file.js';
import { checkInteger, checkNonNegative } from './internal/validate.js';

/** What a {@link TrainingGuard} can do about a bad step. */
export type GuardAction = 'skip' | 'restore' | 'lower-lr' | 'clip';

/** Why a step was bad. */
export type GuardReason = 'non-finite' | 'exploding';

/**
 * Where a rejected step with the 'restore' action rolls back to: `'last-good'`, the state right
 * after the last good step (the default), falling back to the last periodic snapshot when a second
 * bad step in a row shows that state is itself doomed; `'snapshot'`, always the last periodic
 * snapshot (every `snapshotEvery` good steps, in memory or in the file at `path`).
 */
export type GuardRollback = 'last-good' | 'snapshot';

/** Options of {@link TrainingGuard}. */
export interface TrainingGuardOptions {
  /**
   * Where a rejected step with the 'restore' action rolls back to (default `'last-good'`, or
   * `'snapshot'` when `path` is given; see {@link GuardRollback}). Every rejected step is undone
   * in either case.
   */
  readonly rollback?: GuardRollback;
  /**
   * Good steps between periodic snapshots (default 50). A snapshot is also taken after the first
   * good step. It is where `rollback: 'snapshot'` goes, and the fallback of `'last-good'`.
   */
  readonly snapshotEvery?: number;
  /**
   * Keep the periodic snapshot in a file at this path instead of in memory (Node only; the
   * default rollback becomes `'snapshot'`). Each snapshot is written to `path + '.tmp'` and
   * renamed over `path`, so a crash never leaves half a snapshot.
   */
  readonly path?: string;
  /** A raw global gradient norm above this is exploding (default ∞: only the relative test). */
  readonly explodingNorm?: number;
  /** A raw norm this many times the running average of good raw norms is exploding (default 10). */
  readonly explodingFactor?: number;
  /** Good steps before the relative test starts (default 10). */
  readonly warmup?: number;
  /** Responses to a non-finite step (default: skip, restore, lower-lr, clip). */
  readonly onNonFinite?: readonly GuardAction[];
  /**
   * Responses to an exploding step (default: skip, lower-lr, clip). Add 'restore' where a state can
   * be doomed (an exploding recurrent net whose every batch explodes from the last good state):
   * then a second exploding step in a row goes back to the periodic snapshot.
   */
  readonly onExploding?: readonly GuardAction[];
  /** Factor applied to the learning rate by 'lower-lr' (default 0.5). */
  readonly lrFactor?: number;
  /** Floor of the learning rate (default 0). */
  readonly minLearningRate?: number;
  /**
   * Good steps in a row after which a lowered learning rate is raised by 1/`lrFactor` again,
   * never above the rate before the cuts (default 20; see {@link TrainingGuard}).
   */
  readonly lrRecoverySteps?: number;
  /** Global norm that 'clip' clips to (default: twice the running average of good raw norms). */
  readonly clipNorm?: number;
  /**
   * What an exploding step (finite, raw norm above a threshold) gets once the guard has switched
   * clipping on: `'clip'` (default) lets its update stand, clipped to `clipNorm`, and records an
   * event with the single action 'clip' (the step is judged and reported, and the clipping the
   * guard chose is what bounds it); `'reject'` undoes it like any bad step. With `'reject'`, a net
   * whose raw norm stays above the threshold at its current weights (a recurrent net with ρ > 1)
   * can never take a step again, so use it only where an explosion comes from a bad batch.
   * Non-finite steps are always rejected.
   */
  readonly whileClipping?: 'clip' | 'reject';
  /** Consecutive bad steps after which the guard gives up with a NonFiniteError (default 25). */
  readonly maxConsecutive?: number;
  /** Called with every event. */
  readonly onEvent?: (event: GuardEvent) => void;
}

/** One thing a {@link GuardEvent} changed, with its value before and after. */
export interface GuardChange {
  /**
   * `'state'`: the weights and optimizer state were rolled back (`from` the rejected step, `to`
   * the step restored: 0 is the state before the first step); `'learningRate'`: the optimizer's
   * rate; `'clipNorm'`: the guard's clipping norm (`from` null when clipping was off).
   */
  readonly what: 'state' | 'learningRate' | 'clipNorm';
  /** The value before. */
  readonly from: number | null;
  /** The value after. */
  readonly to: number;
}

/** A bad step and what the guard did about it. */
export interface GuardEvent {
  /** The step (counted from 1, as every step number in gflow). */
  readonly step: number;
  /** Why it was bad. */
  readonly reason: GuardReason;
  /** What was done, in order. */
  readonly actions: readonly GuardAction[];
  /** Everything the event changed, each with its value before and after. */
  readonly changes: readonly GuardChange[];
  /** The loss of the step (NaN when unknown or non-finite). */
  readonly loss: number;
  /** The raw global gradient norm of the step. */
  readonly globalNorm: number;
  /**
   * The step whose state was restored (0: the state before the first step); absent when the
   * update stood (an exploding step applied clipped, see `whileClipping`).
   */
  readonly restoredStep?: number;
  /** The learning rate after the event, when the optimizer has one. */
  readonly learningRate?: number;
  /** The clipping norm in force after the event, if any. */
  readonly clipNorm?: number;
}

/** What the guard decided about one step. */
export interface GuardVerdict {
  /** Whether the update may stand. */
  readonly ok: boolean;
  /** Why not (or, with `clipped`, why it was clipped). */
  readonly reason?: GuardReason;
  /** The step was exploding but may stand, clipped by the guard (`whileClipping: 'clip'`). */
  readonly clipped?: boolean;
}

type ResolvedOptions = Required<Omit<TrainingGuardOptions, 'path' | 'clipNorm' | 'onEvent'>> &
  Pick<TrainingGuardOptions, 'path' | 'clipNorm' | 'onEvent'>;

const ACTIONS: readonly GuardAction[] = ['skip', 'restore', 'lower-lr', 'clip'];

/**
 * Keeps training alive: every step is judged, and a non-finite or exploding one is undone (weights
 * and optimizer state as after the last good step, bit for bit), the learning rate lowered, gradient
 * clipping switched on, and the event recorded with what it changed. Training continues.
 *
 * - **Judging.** A step is bad when its loss, raw gradient or new weights are not finite, or its
 *   raw global gradient norm (before any clipping) exceeds `explodingNorm` or `explodingFactor`
 *   times the running average of good raw norms. Every step is judged the same way once clipping
 *   is on: the thresholds keep meaning the raw norm, and a step above them is never hidden: by
 *   default (`whileClipping: 'clip'`) its update stands clipped to the guard's clipping norm and
 *   the step is recorded as an event with the action 'clip'; with `whileClipping: 'reject'` it is
 *   undone like a step before clipping was on. Non-finite steps are always undone.
 * - **Rollback.** By default to the last good step: before each step the guard keeps zero-copy
 *   handles on the weights and the optimizer's slots; an accepted step drops them, a rejected one
 *   assigns them back. No data is copied; the cost is that the buffers replaced by the update stay
 *   alive until the step is judged: at most one extra set of weights and optimizer slots (with
 *   Adam 3 × 4 bytes per parameter) during a step. A second bad step in a row means the last good
 *   state is itself doomed (finite weights whose next forward pass overflows, say): its 'restore'
 *   goes back to the last periodic snapshot, taken (zero-copy too) after the first good step and
 *   every `snapshotEvery` good steps; it keeps the buffers of that step alive, at most one more set
 *   of weights and slots between steps (none with `path`, where it is a file). With `rollback:
 *   'snapshot'` (or `path`) every 'restore' goes back to the periodic snapshot.
 * - **Learning-rate recovery**, as dynamic loss scaling does in mixed-precision training: each
 *   'lower-lr' multiplies the rate by `lrFactor` (floored at `minLearningRate`); after
 *   `lrRecoverySteps` good steps in a row the rate is multiplied by 1/`lrFactor`, and again after
 *   each further `lrRecoverySteps` good steps, until it is back at the rate it had before the first
 *   cut (exactly that rate: the last rise sets it). One bad step costs `lrRecoverySteps` good steps
 *   at the lowered rate (20 by default); k cuts in a row take k·`lrRecoverySteps`.
 *
 * Give it to `instrument` (for `model.fit`) or `trainStep`. Steps count from 1. The optimizer's
 * state is read from its own variables (Adam's moments, accBeta1/2, momentum accumulators) rather
 * than through the asynchronous `getWeights`/`setWeights`, because `model.fit` calls `minimize`
 * synchronously.
 *
 * @example
 * ```ts
 * const guard = new TrainingGuard({ explodingFactor: 20, lrRecoverySteps: 50 });
 * model.compile({ optimizer: instrument(tf.train.adam(1e-3), { guard }), loss: 'meanSquaredError' });
 * await model.fit(xs, ys, { epochs: 10 });
 * for (const e of guard.events) console.log(e.step, e.reason, e.changes);
 * ```
 * @see Pascanu, Mikolov & Bengio 2013 (clipping as the response to a gradient explosion);
 *   Micikevicius et al. 2018, "Mixed Precision Training" (dynamic loss scaling: back off on
 *   overflow, grow again after N good steps).
 */
export class TrainingGuard {
  private readonly o: ResolvedOptions;
  private readonly eventLog: GuardEvent[] = [];
  private snapshot: StateSnapshot | undefined;
  private snapshotStepOnDisk: number | undefined;
  private undo: StateSnapshot | undefined;
  private goodSteps = 0;
  private lastGood = 0;
  private sinceSnapshot = 0;
  private consecutive = 0;
  private avgNorm = 0;
  private clip: number | undefined;
  /** The product of the learning-rate cuts not yet recovered (1: none). */
  private lrCut = 1;
  /** The rate before the first outstanding cut, and the rate the guard itself set last. */
  private lrBase: number | undefined;
  private lrSet: number | undefined;
  private goodSinceCut = 0;
  /** The variables of the last `begin`, matched by name when reading a snapshot file. */
  private lastVars: readonly tf.Variable[] = [];

  /**
   * @param options - Rollback, snapshot cadence and place, detection thresholds, responses,
   *   learning-rate recovery.
   * @throws InvalidArgumentError (from `@gflow/core`) for options that are not an object, negative
   *   thresholds, unknown actions or an unknown rollback.
   */
  constructor(options: TrainingGuardOptions = {}) {
    this.o = resolveOptions(options);
  }

  /** Every event so far, oldest first (the last 10,000). */
  get events(): readonly GuardEvent[] {
    return this.eventLog;
  }

  /** The global norm gradients are clipped to since the guard switched clipping on, if it has. */
  get clipNorm(): number | undefined {
    return this.clip;
  }

  /** The learning rate's outstanding cut: 1 when none, 0.5 after one 'lower-lr' not yet recovered. */
  get learningRateScale(): number {
    return this.lrCut;
  }

  /** The step of the last periodic snapshot, if any. */
  get snapshotStep(): number | undefined {
    return this.o.path !== undefined ? this.snapshotStepOnDisk : this.snapshot?.step;
  }

  /** The last step accepted (0 before any). */
  get lastGoodStep(): number {
    return this.lastGood;
  }

  /**
   * Marks the state before a step, so that the step can be undone (called by the training step
   * before it applies the update; zero-copy).
   *
   * @param step - The step about to run.
   * @param vars - The variables the step updates.
   * @param optimizer - The optimizer that updates them.
   */
  begin(step: number, vars: readonly tf.Variable[], optimizer: tf.Optimizer): void {
    if (this.undo) disposeSnapshot(this.undo);
    this.lastVars = vars;
    this.undo = takeSnapshot(step, vars, optimizer);
  }

  /**
   * Judges a step from its numbers: non-finite loss, gradient or new weights; a raw global norm
   * above `explodingNorm` or `explodingFactor` times the running average of good raw norms (after
   * `warmup` good steps). The same tests apply while the guard's clipping is on.
   *
   * @param values - The step's loss (NaN when unknown is fine only if `lossKnown` is false), raw
   *   global gradient norm and whether every new weight is finite.
   * @returns Whether the update may stand and, if not, why.
   */
  judge(values: {
    loss: number;
    lossKnown: boolean;
    globalNorm: number;
    weightsFinite: boolean;
  }): GuardVerdict {
    if (
      (values.lossKnown && !Number.isFinite(values.loss)) ||
      !Number.isFinite(values.globalNorm) ||
      !values.weightsFinite
    ) {
      return { ok: false, reason: 'non-finite' };
    }
    const exploding =
      values.globalNorm > this.o.explodingNorm ||
      (this.goodSteps >= this.o.warmup &&
        this.avgNorm > 0 &&
        values.globalNorm > this.o.explodingFactor * this.avgNorm);
    if (!exploding) return { ok: true };
    if (this.clip !== undefined && this.o.whileClipping === 'clip')
      return { ok: true, reason: 'exploding', clipped: true };
    return { ok: false, reason: 'exploding' };
  }

  /**
   * Lets an exploding step stand, clipped (a verdict with `clipped`): drops the undo point and
   * records an event with the action 'clip'. The step does not count as good (no learning-rate
   * recovery, no snapshot, its raw norm stays out of the running average).
   *
   * @param step - The step.
   * @param values - Its loss and raw global norm, for the record.
   * @param optimizer - The optimizer (for the learning rate in the record).
   * @returns The event.
   */
  keepClipped(
    step: number,
    values: { loss: number; globalNorm: number },
    optimizer: tf.Optimizer,
  ): GuardEvent {
    if (this.undo) disposeSnapshot(this.undo);
    this.undo = undefined;
    this.consecutive = 0;
    this.lastGood = step;
    const lrNow = getLearningRate(optimizer);
    const event: GuardEvent = {
      step,
      reason: 'exploding',
      actions: ['clip'],
      changes: [],
      loss: values.loss,
      globalNorm: values.globalNorm,
      ...(lrNow !== undefined ? { learningRate: lrNow } : {}),
      ...(this.clip !== undefined ? { clipNorm: this.clip } : {}),
    };
    this.record(event);
    return event;
  }

  /**
   * Accepts a good step: drops the undo point, updates the running average of raw norms, raises a
   * lowered learning rate after `lrRecoverySteps` good steps, and takes a periodic snapshot after
   * the first good step and every `snapshotEvery` good steps.
   *
   * @param step - The step.
   * @param globalNorm - Its raw global gradient norm.
   * @param vars - The variables.
   * @param optimizer - The optimizer.
   */
  accept(step: number, globalNorm: number, vars: readonly tf.Variable[], optimizer: tf.Optimizer): void {
    if (this.undo) disposeSnapshot(this.undo);
    this.undo = undefined;
    this.consecutive = 0;
    this.goodSteps++;
    this.lastGood = step;
    // Running average of good norms: the mean over the first steps, then an EMA of memory ~50.
    const a = Math.max(1 / this.goodSteps, 0.02);
    this.avgNorm = this.avgNorm + a * (globalNorm - this.avgNorm);
    this.recoverRate(optimizer);
    this.sinceSnapshot++;
    if (this.goodSteps === 1 || this.sinceSnapshot >= this.o.snapshotEvery)
      this.takeSnapshot(step, vars, optimizer);
  }

  /**
   * Rejects a bad step: undoes it (the state after the last good step comes back), applies the
   * configured responses ('restore': the last periodic snapshot with rollback 'snapshot', or after
   * a second bad step in a row; lower the learning rate; switch clipping on), and records and
   * returns the event.
   *
   * @param step - The step.
   * @param verdict - Why it was bad (from {@link TrainingGuard.judge}).
   * @param values - Its loss and raw global norm, for the record.
   * @param optimizer - The optimizer whose learning rate may be lowered.
   * @returns The event.
   * @throws NonFiniteError (from `@gflow/core`) after `maxConsecutive` bad steps in a row.
   */
  reject(
    step: number,
    verdict: GuardVerdict,
    values: { loss: number; globalNorm: number },
    optimizer: tf.Optimizer,
  ): GuardEvent {
    const reason = verdict.reason ?? 'non-finite';
    const wanted = reason === 'non-finite' ? this.o.onNonFinite : this.o.onExploding;
    const actions: GuardAction[] = [];
    const changes: GuardChange[] = [];
    // The update is always taken back: a guard that lets a NaN into the weights guards nothing.
    if (this.undo) {
      restoreSnapshot(this.undo, optimizer);
      disposeSnapshot(this.undo);
      this.undo = undefined;
    }
    if (wanted.includes('skip')) actions.push('skip');
    let restoredStep = this.lastGood;
    if (wanted.includes('restore')) {
      // The last good state already failed once (the previous step was bad too, and was undone to
      // it): go back to the periodic snapshot.
      const toSnapshot = this.o.rollback === 'snapshot' || this.consecutive > 0;
      const restored = toSnapshot ? this.restoreLast(optimizer) : this.lastGood;
      if (restored !== undefined) {
        restoredStep = restored;
        actions.push('restore');
      }
    }
    changes.push({ what: 'state', from: step, to: restoredStep });
    if (wanted.includes('lower-lr')) this.lowerRate(optimizer, actions, changes);
    if (wanted.includes('clip')) this.switchClipOn(actions, changes);
    const lrNow = getLearningRate(optimizer);
    const event: GuardEvent = {
      step,
      reason,
      actions,
      changes,
      loss: values.loss,
      globalNorm: values.globalNorm,
      restoredStep,
      ...(lrNow !== undefined ? { learningRate: lrNow } : {}),
      ...(this.clip !== undefined ? { clipNorm: this.clip } : {}),
    };
    this.record(event);
    if (++this.consecutive >= this.o.maxConsecutive) {
      throw new NonFiniteError(
        `TrainingGuard: training must produce a good step within ${this.o.maxConsecutive} tries, got ${this.consecutive} bad steps in a row (last: ${reason} at step ${step}, global norm ${values.globalNorm})`,
      );
    }
    return event;
  }

  /**
   * Takes a periodic snapshot now (in memory, or written atomically to `path`).
   *
   * @param step - The step it belongs to.
   * @param vars - The variables to save.
   * @param optimizer - The optimizer whose state to save.
   * @throws GflowIOError (from `@gflow/core`) when the file cannot be written.
   */
  takeSnapshot(step: number, vars: readonly tf.Variable[], optimizer: tf.Optimizer): void {
    this.sinceSnapshot = 0;
    const snap = takeSnapshot(step, vars, optimizer);
    if (this.o.path === undefined) {
      if (this.snapshot) disposeSnapshot(this.snapshot);
      this.snapshot = snap;
      return;
    }
    try {
      writeSnapshotFile(this.o.path, snap);
      this.snapshotStepOnDisk = step;
    } finally {
      disposeSnapshot(snap);
    }
  }

  /** Frees the snapshot and undo point held in memory. */
  dispose(): void {
    if (this.snapshot) disposeSnapshot(this.snapshot);
    if (this.undo) disposeSnapshot(this.undo);
    this.snapshot = undefined;
    this.undo = undefined;
  }

  private record(event: GuardEvent): void {
    this.eventLog.push(event);
    if (this.eventLog.length > 10_000) this.eventLog.shift();
    this.o.onEvent?.(event);
  }

  private lowerRate(optimizer: tf.Optimizer, actions: GuardAction[], changes: GuardChange[]): void {
    const lr = getLearningRate(optimizer);
    if (lr === undefined) return;
    const next = Math.max(lr * this.o.lrFactor, this.o.minLearningRate);
    if (!setLearningRate(optimizer, next)) return;
    if (this.lrCut === 1) this.lrBase = lr;
    if (lr > 0) this.lrCut *= next / lr;
    this.lrSet = next;
    this.goodSinceCut = 0;
    actions.push('lower-lr');
    changes.push({ what: 'learningRate', from: lr, to: next });
  }

  private switchClipOn(actions: GuardAction[], changes: GuardChange[]): void {
    const c = this.o.clipNorm ?? (this.avgNorm > 0 ? 2 * this.avgNorm : undefined);
    if (c === undefined) return;
    const before = this.clip;
    this.clip = before === undefined ? c : Math.min(before, c);
    actions.push('clip');
    if (this.clip !== before) changes.push({ what: 'clipNorm', from: before ?? null, to: this.clip });
  }

  /** After `lrRecoverySteps` good steps, one step of the rate back up (see the class comment). */
  private recoverRate(optimizer: tf.Optimizer): void {
    if (this.lrCut >= 1 || ++this.goodSinceCut < this.o.lrRecoverySteps) return;
    this.goodSinceCut = 0;
    const lr = getLearningRate(optimizer);
    if (lr === undefined) return;
    const up = Math.min(1 / this.o.lrFactor, 1 / this.lrCut);
    this.lrCut = Math.min(1, this.lrCut * up);
    // The last rise restores the very rate before the cuts, unless someone else (a schedule) set
    // the rate since: then the same relative rise applies to theirs.
    const done = this.lrCut >= 1 - 1e-12;
    if (done) this.lrCut = 1;
    const next = done && lr === this.lrSet && this.lrBase !== undefined ? this.lrBase : lr * up;
    setLearningRate(optimizer, next);
    this.lrSet = next;
  }

  private restoreLast(optimizer: tf.Optimizer): number | undefined {
    if (this.o.path === undefined) {
      if (!this.snapshot) return undefined;
      restoreSnapshot(this.snapshot, optimizer);
      return this.snapshot.step;
    }
    if (this.snapshotStepOnDisk === undefined) return undefined;
    const snap = readSnapshotFile(this.o.path, this.lastVars);
    try {
      restoreSnapshot(snap, optimizer);
    } finally {
      disposeSnapshot(snap);
    }
    return snap.step;
  }
}

/** Checks the options of a {@link TrainingGuard} and fills in the defaults. */
function resolveOptions(options: TrainingGuardOptions): ResolvedOptions {
  const fn = 'TrainingGuard';
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(`${fn}: options must be an object, got ${describeValue(options)}`);
  }
  for (const key of ['onNonFinite', 'onExploding'] as const) {
    const a = options[key];
    if (a !== undefined && (!Array.isArray(a) || a.some((x) => !ACTIONS.includes(x)))) {
      throw new InvalidArgumentError(
        `${fn}: options.${key} must be an array of ${ACTIONS.map((x) => `'${x}'`).join(', ')}, got ${describeValue(a)}`,
      );
    }
  }
  if (options.path !== undefined && (typeof options.path !== 'string' || options.path === '')) {
    throw new InvalidArgumentError(
      `${fn}: options.path must be a non-empty string, got ${describeValue(options.path)}`,
    );
  }
  const rollback = options.rollback ?? (options.path !== undefined ? 'snapshot' : 'last-good');
  if (rollback !== 'last-good' && rollback !== 'snapshot') {
    throw new InvalidArgumentError(
      `${fn}: options.rollback must be 'last-good' or 'snapshot', got ${describeValue(options.rollback)}`,
    );
  }
  return {
    rollback,
    snapshotEvery: checkInteger(fn, 'options.snapshotEvery', options.snapshotEvery ?? 50, 1),
    explodingNorm:
      options.explodingNorm === undefined
        ? Number.POSITIVE_INFINITY
        : checkNonNegative(fn, 'options.explodingNorm', options.explodingNorm, true),
    explodingFactor: checkNonNegative(fn, 'options.explodingFactor', options.explodingFactor ?? 10, true),
    warmup: checkInteger(fn, 'options.warmup', options.warmup ?? 10, 0),
    onNonFinite: options.onNonFinite ?? ['skip', 'restore', 'lower-lr', 'clip'],
    onExploding: options.onExploding ?? ['skip', 'lower-lr', 'clip'],
    whileClipping: checkWhileClipping(fn, options.whileClipping ?? 'clip'),
    lrFactor: checkLrFactor(fn, options.lrFactor ?? 0.5),
    minLearningRate: checkNonNegative(fn, 'options.minLearningRate', options.minLearningRate ?? 0),
    lrRecoverySteps: checkInteger(fn, 'options.lrRecoverySteps', options.lrRecoverySteps ?? 20, 1),
    maxConsecutive: checkInteger(fn, 'options.maxConsecutive', options.maxConsecutive ?? 25, 1),
    ...(options.path !== undefined ? { path: options.path } : {}),
    ...(options.clipNorm !== undefined
      ? { clipNorm: checkNonNegative(fn, 'options.clipNorm', options.clipNorm, true) }
      : {}),
    ...(options.onEvent !== undefined ? { onEvent: options.onEvent } : {}),
  };
}

function checkWhileClipping(fn: string, v: unknown): 'clip' | 'reject' {
  if (v !== 'clip' && v !== 'reject')
    throw new InvalidArgumentError(
      `${fn}: options.whileClipping must be 'clip' or 'reject', got ${describeValue(v)}`,
    );
  return v;
}

/** lrFactor must lie in (0, 1]: a cut that recovers by 1/lrFactor. */
function checkLrFactor(fn: string, v: number): number {
  checkNonNegative(fn, 'options.lrFactor', v, true);
  if (v > 1) {
    throw new InvalidArgumentError(`${fn}: options.lrFactor must be in (0, 1], got ${describeValue(v)}`);
  }
  return v;
}
