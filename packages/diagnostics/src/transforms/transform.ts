import { describeValue, InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { normsPathOf, type SquaredNorms, withNormsPath } from '../internal/norms-path.js';
import { BatchedRead, type NamedTensors } from '../internal/tensors.js';

export type { NamedTensors } from '../internal/tensors.js';

/**
 * What {@link GradientTransform.update} returns. Every tensor here is new and the caller's:
 * `grads` to pass on or dispose, `info` scalars to read (see {@link readInfo}) or dispose, `state`
 * to pass to the next `update`.
 */
export interface TransformResult<S> {
  /** The transformed gradients, one per name given to `update` (new tensors). */
  readonly grads: Record<string, tf.Tensor>;
  /** The next state; the state passed to `update` is consumed (its tensors may be disposed). */
  readonly state: S;
  /** Scalars on the device describing the step (a norm before clipping, a scale), by key. */
  readonly info: Record<string, tf.Scalar>;
}

/**
 * A gradient transformation in the optax shape: a pair of pure functions with explicit state.
 *
 * - `init(params)` records the names and shapes of the parameters and returns the first state.
 * - `update(grads, state, params?)` returns new gradients, the next state and information
 *   scalars. It never disposes or changes `grads` or `params`; it consumes `state` (pass each
 *   state once; the tensors it held may be disposed and the returned state owns new ones).
 * - `dispose(state)` frees the tensors a state holds (call it on the last state).
 *
 * Grads and params are records keyed by parameter name; names and shapes must match the
 * parameters given to `init`.
 *
 * A transform is exactly this object: `trainStep` and `instrument` call its `update`. (Inside
 * gflow, `clipByGlobalNorm` and a `chain` starting with it reuse the gradients' norms the step has
 * already computed; that shortcut is tied to their own `update` function, so a copy with another
 * `update`, such as `{ ...clipByGlobalNorm(10), update }`, has that `update` run, never bypassed.)
 *
 * @typeParam S - The state's type.
 * @see Babuschkin et al. 2020, "The DeepMind JAX Ecosystem" (optax).
 */
export interface GradientTransform<S = unknown> {
  /** The transform's name; its `info` keys start with it. */
  readonly name: string;
  /** The first state, for these parameters (not kept: only names and shapes are recorded). */
  init(params: NamedTensors): S;
  /** One step: the gradients transformed, the next state, and information scalars. */
  update(grads: NamedTensors, state: S, params?: NamedTensors): TransformResult<S>;
  /** Frees the tensors held by `state`. */
  dispose(state: S): void;
}

/** The state of a chain: one state per transform, in order. */
export type ChainState = readonly unknown[];

/**
 * Composes gradient transforms: `update` runs each in turn on the previous one's output.
 *
 * When a training step has the gradients' norms at hand, they reach the first transform only
 * (the later ones see transformed gradients).
 *
 * @param transforms - The transforms, applied first to last.
 * @returns A transform whose state is the array of the inner states.
 * @throws InvalidArgumentError (from `@gflow/core`) when an argument is not a transform.
 * @example
 * ```ts
 * const t = chain(clipByValue(5), clipByGlobalNorm(1));
 * let state = t.init(params);
 * const { grads: clipped, state: next, info } = t.update(grads, state, params);
 * state = next;
 * ```
 * @see Babuschkin et al. 2020 (optax `chain`).
 */
export function chain(...transforms: readonly GradientTransform<unknown>[]): GradientTransform<ChainState> {
  transforms.forEach((t, i) => {
    if (t == null || typeof t.init !== 'function' || typeof t.update !== 'function') {
      throw new InvalidArgumentError(
        `chain: transforms[${i}] must be a GradientTransform, got ${describeValue(t)}`,
      );
    }
  });
  const inner = transforms as readonly GradientTransform<unknown>[];
  const run = (
    grads: NamedTensors,
    sqNorms: SquaredNorms | undefined,
    state: ChainState,
    params?: NamedTensors,
  ) => {
    if (!Array.isArray(state) || state.length !== inner.length) {
      throw new InvalidArgumentError(
        `chain: state must be the array returned by init (length ${inner.length}), got ${describeValue(state)}`,
      );
    }
    let current: NamedTensors = grads;
    const states: unknown[] = [];
    const info: Record<string, tf.Scalar> = {};
    try {
      inner.forEach((t, i) => {
        // Only the first transform sees the gradients the norms were taken of.
        const path = i === 0 && sqNorms ? normsPathOf(t) : undefined;
        const r =
          path && sqNorms ? path(current, sqNorms, state[i], params) : t.update(current, state[i], params);
        if (current !== grads) tf.dispose(Object.values(current));
        current = r.grads;
        states.push(r.state);
        Object.assign(info, r.info);
      });
    } catch (e) {
      if (current !== grads) tf.dispose(Object.values(current));
      tf.dispose(Object.values(info));
      throw e;
    }
    return {
      grads: current === grads ? cloneAll(grads) : (current as Record<string, tf.Tensor>),
      state: states as ChainState,
      info,
    };
  };
  const update: GradientTransform<ChainState>['update'] = (grads, state, params) =>
    run(grads, undefined, state, params);
  // The shared-norms path exists when the first transform has one: the norms describe the chain's input only.
  const first = inner[0];
  if (first && normsPathOf(first))
    withNormsPath(update, (grads, sqNorms, state, params) => run(grads, sqNorms, state, params));
  return {
    name: `chain(${inner.map((t) => t.name).join(', ')})`,
    init: (params) => inner.map((t) => t.init(params)),
    update,
    dispose(state) {
      if (!Array.isArray(state)) return;
      inner.forEach((t, i) => {
        t.dispose(state[i]);
      });
    },
  };
}

/** Clones every tensor of a record (cheap: no data is copied on the cpu backend). */
export function cloneAll(r: NamedTensors): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(r)) out[k] = tf.clone(v);
  return out;
}

/**
 * Reads the information scalars of a transform step back as numbers, in one transfer, and
 * disposes them.
 *
 * @param info - The `info` of a {@link TransformResult}.
 * @returns The same keys with plain numbers.
 * @throws InvalidArgumentError (from `@gflow/core`) when `info` is not a record of live one-element
 *   tensors (nothing is disposed then).
 * @example
 * ```ts
 * const { grads: g, info } = clipByGlobalNorm(1).update(grads, state);
 * console.log(readInfo(info)['clipByGlobalNorm.norm']);
 * ```
 */
export function readInfo(info: Readonly<Record<string, tf.Scalar>>): Record<string, number> {
  if (typeof info !== 'object' || info === null || Array.isArray(info)) {
    throw new InvalidArgumentError(
      `readInfo: info must be a record of scalar tensors keyed by name, got ${describeValue(info)}`,
    );
  }
  const keys = Object.keys(info);
  for (const k of keys) {
    const t = info[k] as unknown;
    if (!(t instanceof tf.Tensor) || t.isDisposed || t.size !== 1) {
      throw new InvalidArgumentError(
        `readInfo: info[${JSON.stringify(k)}] must be a live one-element tensor, got ${
          t instanceof tf.Tensor
            ? `shape [${t.shape.join(', ')}]${t.isDisposed ? ' (disposed)' : ''}`
            : describeValue(t)
        }`,
      );
    }
  }
  const reader = new BatchedRead();
  const at = keys.map((k) => reader.add(info[k] as tf.Scalar));
  const v = reader.read();
  const out: Record<string, number> = {};
  keys.forEach((k, i) => {
    out[k] = v[at[i] as number] as number;
  });
  return out;
}
