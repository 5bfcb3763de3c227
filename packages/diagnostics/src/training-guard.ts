import { describeValue, GflowIOError, InvalidArgumentError, NonFiniteError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { nodeFs } from './internal/node-fs.js';
import {
  disposeSnapshot,
  getLearningRate,
  restoreSnapshot,
  type StateSnapshot,
  setLearningRate,
  takeSnapshot,
} from './internal/optimizer-state.js';
import { checkInteger, checkNonNegative } from './internal/validate.js';

/** What a {@link TrainingGuard} can do about a bad step. */
export type GuardAction = 'skip' | 'restore' | 'lower-lr' | 'clip';

/** Why a step was bad. */
export type GuardReason = 'non-finite' | 'exploding';

/** Options of {@link TrainingGuard}. */
export interface TrainingGuardOptions {
  /** Good steps between snapshots (default 50). A snapshot is also taken after the first good step. */
  readonly snapshotEvery?: number;
  /**
   * Keep the snapshot in a file at this path instead of in memory (Node only). Each snapshot is
   * written to `path + '.tmp'` and renamed over `path`, so a crash never leaves half a snapshot.
   */
  readonly path?: string;
  /** A raw global gradient norm above this is exploding (default ∞: only the relative test). */
  readonly explodingNorm?: number;
  /** A norm this many times the running average of good norms is exploding (default 10). */
  readonly explodingFactor?: number;
  /** Good steps before the relative test starts (default 10). */
  readonly warmup?: number;
  /** Responses to a non-finite step (default: skip, restore, lower-lr, clip). */
  readonly onNonFinite?: readonly GuardAction[];
  /** Responses to an exploding step (default: skip, lower-lr, clip). */
  readonly onExploding?: readonly GuardAction[];
  /** Factor applied to the learning rate by 'lower-lr' (default 0.5). */
  readonly lrFactor?: number;
  /** Floor of the learning rate (default 0). */
  readonly minLearningRate?: number;
  /** Global norm that 'clip' clips to (default: twice the running average of good norms). */
  readonly clipNorm?: number;
  /** Consecutive bad steps after which the guard gives up with a NonFiniteError (default 25). */
  readonly maxConsecutive?: number;
  /** Called with every event. */
  readonly onEvent?: (event: GuardEvent) => void;
}

/** A bad step and what the guard did about it. */
export interface GuardEvent {
  /** The step. */
  readonly step: number;
  /** Why it was bad. */
  readonly reason: GuardReason;
  /** What was done, in order. */
  readonly actions: readonly GuardAction[];
  /** The loss of the step (NaN when unknown or non-finite). */
  readonly loss: number;
  /** The raw global gradient norm of the step. */
  readonly globalNorm: number;
  /** The step of the snapshot restored, if one was. */
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
  /** Why not. */
  readonly reason?: GuardReason;
}

const magic = 'GFLOWSNP';

/**
 * Keeps training alive: on a non-finite or exploding step it skips the update, restores the last
 * good snapshot of the weights and of the optimizer's state, lowers the learning rate, switches
 * gradient clipping on, and records the event. Training continues; no good state is lost.
 *
 * Give it to `instrument` (for `model.fit`) or `trainStep`. Every step is applied and then
 * judged from the same one read-back as the monitor's (loss, raw global norm, finiteness of the
 * new weights); a bad step is undone exactly from zero-copy handles on the state before it.
 * Snapshots are zero-copy handles too (or a file, with `path`).
 *
 * The optimizer's state is read from its own variables (Adam's moments, accBeta1/2, momentum
 * accumulators) rather than through the asynchronous `getWeights`/`setWeights`, because
 * `model.fit` calls `minimize` synchronously.
 *
 * @example
 * ```ts
 * const guard = new TrainingGuard({ snapshotEvery: 100 });
 * model.compile({ optimizer: instrument(tf.train.adam(1e-3), { guard }), loss: 'meanSquaredError' });
 * await model.fit(xs, ys, { epochs: 10 });
 * console.log(guard.events);
 * ```
 * @see Pascanu, Mikolov & Bengio 2013 (clipping as the response to a gradient explosion).
 */
export class TrainingGuard {
  private readonly o: Required<Omit<TrainingGuardOptions, 'path' | 'clipNorm' | 'onEvent'>> &
    Pick<TrainingGuardOptions, 'path' | 'clipNorm' | 'onEvent'>;
  private readonly eventLog: GuardEvent[] = [];
  private snapshot: StateSnapshot | undefined;
  private snapshotStepOnDisk: number | undefined;
  private undo: StateSnapshot | undefined;
  private goodSteps = 0;
  private sinceSnapshot = 0;
  private consecutive = 0;
  private avgNorm = 0;
  private clip: number | undefined;
  /** The variables of the last `begin`, matched by name when reading a snapshot file. */
  private lastVars: readonly tf.Variable[] = [];

  /**
   * @param options - Snapshot cadence and place, detection thresholds, responses.
   * @throws InvalidArgumentError (from `@gflow/core`) for options that are not an object, negative
   *   thresholds or unknown actions.
   */
  constructor(options: TrainingGuardOptions = {}) {
    const fn = 'TrainingGuard';
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new InvalidArgumentError(`${fn}: options must be an object, got ${describeValue(options)}`);
    }
    const actions = ['skip', 'restore', 'lower-lr', 'clip'];
    for (const key of ['onNonFinite', 'onExploding'] as const) {
      const a = options[key];
      if (a !== undefined && (!Array.isArray(a) || a.some((x) => !actions.includes(x)))) {
        throw new InvalidArgumentError(
          `${fn}: options.${key} must be an array of ${actions.map((x) => `'${x}'`).join(', ')}, got ${describeValue(a)}`,
        );
      }
    }
    if (options.path !== undefined && (typeof options.path !== 'string' || options.path === '')) {
      throw new InvalidArgumentError(
        `${fn}: options.path must be a non-empty string, got ${describeValue(options.path)}`,
      );
    }
    this.o = {
      snapshotEvery: checkInteger(fn, 'options.snapshotEvery', options.snapshotEvery ?? 50, 1),
      explodingNorm:
        options.explodingNorm === undefined
          ? Number.POSITIVE_INFINITY
          : checkNonNegative(fn, 'options.explodingNorm', options.explodingNorm, true),
      explodingFactor: checkNonNegative(fn, 'options.explodingFactor', options.explodingFactor ?? 10, true),
      warmup: checkInteger(fn, 'options.warmup', options.warmup ?? 10, 0),
      onNonFinite: options.onNonFinite ?? ['skip', 'restore', 'lower-lr', 'clip'],
      onExploding: options.onExploding ?? ['skip', 'lower-lr', 'clip'],
      lrFactor: checkNonNegative(fn, 'options.lrFactor', options.lrFactor ?? 0.5, true),
      minLearningRate: checkNonNegative(fn, 'options.minLearningRate', options.minLearningRate ?? 0),
      maxConsecutive: checkInteger(fn, 'options.maxConsecutive', options.maxConsecutive ?? 25, 1),
      ...(options.path !== undefined ? { path: options.path } : {}),
      ...(options.clipNorm !== undefined
        ? { clipNorm: checkNonNegative(fn, 'options.clipNorm', options.clipNorm, true) }
        : {}),
      ...(options.onEvent !== undefined ? { onEvent: options.onEvent } : {}),
    };
  }

  /** Every event so far, oldest first. */
  get events(): readonly GuardEvent[] {
    return this.eventLog;
  }

  /** The global norm gradients are clipped to since the guard switched clipping on, if it has. */
  get clipNorm(): number | undefined {
    return this.clip;
  }

  /** The step of the last good snapshot, if any. */
  get snapshotStep(): number | undefined {
    return this.o.path !== undefined ? this.snapshotStepOnDisk : this.snapshot?.step;
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
   * above `explodingNorm` or `explodingFactor` times the running average of good norms (this
   * second test only until the guard has switched clipping on: from then on the applied update
   * is clipped, so a large raw norm is no longer a reason to reject it).
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
    // Once the guard has switched clipping on, a large raw norm is what clipping is for: the update
    // that is applied is bounded, so only a non-finite step is rejected from then on. (Judging the
    // raw norm would reject every step of a run whose gradients stay large, halving the learning
    // rate each time.)
    if (this.clip !== undefined) return { ok: true };
    if (values.globalNorm > this.o.explodingNorm) return { ok: false, reason: 'exploding' };
    if (
      this.goodSteps >= this.o.warmup &&
      this.avgNorm > 0 &&
      values.globalNorm > this.o.explodingFactor * this.avgNorm
    ) {
      return { ok: false, reason: 'exploding' };
    }
    return { ok: true };
  }

  /**
   * Accepts a good step: drops the undo point, updates the running average of norms, and takes a
   * snapshot after the first good step and every `snapshotEvery` good steps.
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
    // Running average of good norms: the mean over the first steps, then an EMA of memory ~50.
    const a = Math.max(1 / this.goodSteps, 0.02);
    this.avgNorm = this.avgNorm + a * (globalNorm - this.avgNorm);
    this.sinceSnapshot++;
    if (this.goodSteps === 1 || this.sinceSnapshot >= this.o.snapshotEvery)
      this.takeSnapshot(step, vars, optimizer);
  }

  /**
   * Rejects a bad step: undoes it, and applies the configured responses (restore the last good
   * snapshot, lower the learning rate, switch clipping on); records and returns the event.
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
    // The update is always taken back: a guard that lets a NaN into the weights guards nothing.
    if (this.undo) {
      restoreSnapshot(this.undo, optimizer);
      disposeSnapshot(this.undo);
      this.undo = undefined;
    }
    if (wanted.includes('skip')) actions.push('skip');
    let restoredStep: number | undefined;
    if (wanted.includes('restore')) {
      restoredStep = this.restoreLast(optimizer);
      if (restoredStep !== undefined) actions.push('restore');
    }
    if (wanted.includes('lower-lr')) {
      const lr = getLearningRate(optimizer);
      if (
        lr !== undefined &&
        setLearningRate(optimizer, Math.max(lr * this.o.lrFactor, this.o.minLearningRate))
      ) {
        actions.push('lower-lr');
      }
    }
    if (wanted.includes('clip')) {
      const c = this.o.clipNorm ?? (this.avgNorm > 0 ? 2 * this.avgNorm : undefined);
      if (c !== undefined) {
        this.clip = this.clip === undefined ? c : Math.min(this.clip, c);
        actions.push('clip');
      }
    }
    const lrNow = getLearningRate(optimizer);
    const event: GuardEvent = {
      step,
      reason,
      actions,
      loss: values.loss,
      globalNorm: values.globalNorm,
      ...(restoredStep !== undefined ? { restoredStep } : {}),
      ...(lrNow !== undefined ? { learningRate: lrNow } : {}),
      ...(this.clip !== undefined ? { clipNorm: this.clip } : {}),
    };
    this.eventLog.push(event);
    if (this.eventLog.length > 10_000) this.eventLog.shift();
    this.o.onEvent?.(event);
    this.consecutive++;
    if (this.consecutive >= this.o.maxConsecutive) {
      throw new NonFiniteError(
        `TrainingGuard: training must produce a good step within ${this.o.maxConsecutive} tries, got ${this.consecutive} bad steps in a row (last: ${reason} at step ${step}, global norm ${values.globalNorm})`,
      );
    }
    return event;
  }

  /**
   * Takes a snapshot now (in memory, or written atomically to `path`).
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
      writeSnapshot(this.o.path, snap);
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

  private restoreLast(optimizer: tf.Optimizer): number | undefined {
    if (this.o.path === undefined) {
      if (!this.snapshot) return undefined;
      restoreSnapshot(this.snapshot, optimizer);
      return this.snapshot.step;
    }
    if (this.snapshotStepOnDisk === undefined) return undefined;
    const snap = readSnapshot(this.o.path, this.lastVars);
    try {
      restoreSnapshot(snap, optimizer);
    } finally {
      disposeSnapshot(snap);
    }
    return snap.step;
  }
}

interface FileEntry {
  readonly key: string;
  readonly shape: number[];
  readonly dtype: 'float32' | 'int32';
  readonly offset: number;
  readonly length: number;
}

function writeSnapshot(path: string, snap: StateSnapshot): void {
  const fs = nodeFs('TrainingGuard');
  const entries: FileEntry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const add = (key: string, t: tf.Tensor) => {
    const data = t.dataSync() as Float32Array | Int32Array;
    const bytes = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    entries.push({
      key,
      shape: t.shape.slice(),
      dtype: t.dtype === 'int32' ? 'int32' : 'float32',
      offset,
      length: bytes.length,
    });
    chunks.push(bytes);
    offset += bytes.length;
  };
  for (const [v, t] of snap.vars) add(`var:${v.name}`, t);
  for (const [k, t] of snap.slots) add(`slot:${k}`, t);
  const header = new TextEncoder().encode(
    JSON.stringify({
      version: 1,
      step: snap.step,
      iterations: snap.iterations,
      arrayLengths: Object.fromEntries(snap.arrayLengths),
      entries,
    }),
  );
  const out = new Uint8Array(8 + 4 + header.length + offset);
  out.set(new TextEncoder().encode(magic), 0);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  let at = 12 + header.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  const tmp = `${path}.tmp`;
  try {
    fs.writeFileSync(tmp, out);
    fs.renameSync(tmp, path);
  } catch (cause) {
    throw new GflowIOError(
      `TrainingGuard: options.path must be writable, got ${JSON.stringify(path)}: ${String(cause)}`,
      { cause },
    );
  }
}

function readSnapshot(path: string, vars: readonly tf.Variable[]): StateSnapshot {
  const fs = nodeFs('TrainingGuard');
  let buf: Uint8Array;
  try {
    buf = fs.readFileSync(path);
  } catch (cause) {
    throw new GflowIOError(
      `TrainingGuard: snapshot file ${JSON.stringify(path)} must be readable: ${String(cause)}`,
      { cause },
    );
  }
  if (new TextDecoder().decode(buf.subarray(0, 8)) !== magic) {
    throw new GflowIOError(`TrainingGuard: snapshot file ${JSON.stringify(path)} must start with ${magic}`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLength = view.getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(buf.subarray(12, 12 + headerLength))) as {
    step: number;
    iterations: number;
    arrayLengths: Record<string, number>;
    entries: FileEntry[];
  };
  const base = 12 + headerLength;
  const byName = new Map(vars.map((v) => [v.name, v]));
  const v = new Map<tf.Variable, tf.Tensor>();
  const s = new Map<string, tf.Tensor>();
  for (const e of header.entries) {
    // Copy: Node's Buffer#slice is a view into a shared pool.
    const bytes = new Uint8Array(buf.subarray(base + e.offset, base + e.offset + e.length));
    const data = e.dtype === 'int32' ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer);
    if (e.key.startsWith('var:')) {
      const variable = byName.get(e.key.slice(4));
      if (variable) v.set(variable, tf.keep(tf.tensor(data, e.shape, e.dtype)));
    } else {
      s.set(e.key.slice(5), tf.keep(tf.tensor(data, e.shape, e.dtype)));
    }
  }
  return {
    step: header.step,
    vars: v,
    slots: s,
    arrayLengths: new Map(Object.entries(header.arrayLengths)),
    iterations: header.iterations,
  };
}
