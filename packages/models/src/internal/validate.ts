import {
  checkAllocation,
  describeValue,
  InvalidArgumentError,
  NonFiniteError,
  ShapeError,
} from '@gflow/core';
import type * as tf from '@tensorflow/tfjs';

export { checkBoolean, checkInt, checkNumber, checkOneOf } from '@gflow/core/internal';

/**
 * Throws a ShapeError unless `x` has rank `shape.length` and matches every non-null entry of `shape`.
 * `names` describes the expected shape in the message, e.g. `[batch, 4]`.
 */
export function checkShape(fn: string, arg: string, x: tf.Tensor, shape: readonly (number | null)[]): void {
  const ok = x.rank === shape.length && shape.every((d, i) => d === null || x.shape[i] === d);
  if (!ok) {
    const need = `[${shape.map((d) => (d === null ? 'any' : String(d))).join(', ')}]`;
    throw new ShapeError(`${fn}: ${arg} must have shape ${need}, got [${x.shape.join(', ')}]`);
  }
}

/** Throws unless `x` is a float32 tensor. */
export function checkFloat(fn: string, arg: string, x: tf.Tensor): void {
  if (x.dtype !== 'float32') {
    throw new InvalidArgumentError(
      `${fn}: ${arg} must be a float32 tensor, got dtype ${describeValue(x.dtype)}`,
    );
  }
}

/**
 * Throws unless `options` is an object (not null, not an array): the first check of every builder,
 * so that `plainMLP()` or `plainMLP(null)` names the function instead of failing inside it.
 * With `optional`, `undefined` reads as `{}`.
 */
export function checkOptions<T>(fn: string, options: T, optional = false): NonNullable<T> {
  if (optional && options === undefined) return {} as NonNullable<T>;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`${fn}: options must be an object, got ${describeValue(options)}`);
  }
  return options as NonNullable<T>;
}

/**
 * Throws unless `x` is a live tfjs tensor (not disposed) of the given rank and dtype, before
 * anything reads it: a disposed tensor would otherwise fail deep inside tfjs.
 */
export function checkTensor(
  fn: string,
  arg: string,
  x: unknown,
  need: { rank?: number; dtype?: tf.DataType } = {},
): tf.Tensor {
  if (
    typeof x !== 'object' ||
    x === null ||
    !Array.isArray((x as tf.Tensor).shape) ||
    typeof (x as tf.Tensor).dataSync !== 'function'
  ) {
    throw new InvalidArgumentError(`${fn}: ${arg} must be a tensor, got ${describeValue(x)}`);
  }
  const t = x as tf.Tensor;
  if (t.isDisposed) {
    throw new InvalidArgumentError(
      `${fn}: ${arg} was disposed (shape [${t.shape.join(', ')}]); pass a live tensor`,
    );
  }
  if (need.dtype !== undefined && t.dtype !== need.dtype) {
    throw new InvalidArgumentError(
      `${fn}: ${arg} must be a ${need.dtype} tensor, got dtype ${describeValue(t.dtype)}`,
    );
  }
  if (need.rank !== undefined && t.rank !== need.rank) {
    throw new ShapeError(`${fn}: ${arg} must be ${need.rank}-D, got shape [${t.shape.join(', ')}]`);
  }
  return t;
}

/** Throws a NonFiniteError naming the first NaN or ±Infinity in `values` (host data of `arg`). */
export function checkFiniteValues(fn: string, arg: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) {
      throw new NonFiniteError(`${fn}: ${arg} must have finite entries, got ${v} at flat index ${i}`);
    }
  }
}

/**
 * Refuses a builder whose estimated parameter count is above `@gflow/core`'s allocation limit,
 * before any allocation (the estimate and the limit are in the message).
 */
export function checkParameterCount(fn: string, count: number): void {
  checkAllocation(fn, 'parameters', count, 4);
}

/** Refuses a batch of `n` examples of `perExample` values above the allocation limit. */
export function checkBatchSize(fn: string, n: number, perExample: number): void {
  checkAllocation(fn, 'values in the batch', n * perExample, 4);
}

/** Throws unless `fnName` and `arg` (names used in messages) are strings. */
export function checkName(fn: string, fnName: unknown, arg: unknown): void {
  if (typeof fnName !== 'string' || typeof arg !== 'string') {
    throw new InvalidArgumentError(
      `${fn}: fnName and arg must be strings, got ${describeValue(fnName)} and ${describeValue(arg)}`,
    );
  }
}

/** Throws unless `m` looks like a Module: an object with `parameters()` and `apply()`. */
export function checkModule(fn: string, arg: string, m: unknown): void {
  if (
    typeof m !== 'object' ||
    m === null ||
    typeof (m as { parameters?: unknown }).parameters !== 'function' ||
    typeof (m as { apply?: unknown }).apply !== 'function'
  ) {
    throw new InvalidArgumentError(
      `${fn}: ${arg} must be a Module (an object with parameters() and apply()), got ${describeValue(m)}`,
    );
  }
}
