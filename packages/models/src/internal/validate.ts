import { describeValue, InvalidArgumentError, ShapeError } from '@gflow/core';
import type * as tf from '@tensorflow/tfjs';

/** Throws unless `v` is an integer ≥ `min` (default 1). */
export function checkInt(fn: string, arg: string, v: unknown, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    const need =
      min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer ≥ ${min}`;
    throw new InvalidArgumentError(`${fn}: ${arg} must be ${need}, got ${describeValue(v)}`);
  }
  return v;
}

/** Throws unless `v` is a boolean. */
export function checkBoolean(fn: string, arg: string, v: unknown): boolean {
  if (typeof v !== 'boolean') {
    throw new InvalidArgumentError(`${fn}: ${arg} must be true or false, got ${describeValue(v)}`);
  }
  return v;
}

/** Throws unless `v` is a finite number (within [min, max] when given). */
export function checkNumber(fn: string, arg: string, v: unknown, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    const range =
      min === -Infinity && max === Infinity
        ? 'a finite number'
        : max === Infinity
          ? `a finite number ≥ ${min}`
          : min === -Infinity
            ? `a finite number ≤ ${max}`
            : `a finite number in [${min}, ${max}]`;
    throw new InvalidArgumentError(`${fn}: ${arg} must be ${range}, got ${describeValue(v)}`);
  }
  return v;
}

/** Throws unless `v` is one of `allowed`. */
export function checkOneOf<T extends string>(fn: string, arg: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new InvalidArgumentError(
      `${fn}: ${arg} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describeValue(v)}`,
    );
  }
  return v as T;
}

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
