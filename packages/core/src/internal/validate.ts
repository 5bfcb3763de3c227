/**
 * Argument checks shared by every public function. Each throws a `GflowError` subclass whose
 * message names the function, the argument, what it needed and what it got.
 *
 * @module
 */
import { describeValue, InvalidArgumentError, NonFiniteError } from '../errors.js';

/** Throws unless `x` is a finite number. */
export function requireFinite(fn: string, arg: string, x: unknown): number {
  if (typeof x !== 'number' || Number.isNaN(x)) {
    throw new InvalidArgumentError(`${fn}: ${arg} must be a finite number, got ${describeValue(x)}`);
  }
  if (!Number.isFinite(x)) throw new NonFiniteError(`${fn}: ${arg} must be finite, got ${x}`);
  return x;
}

/** Throws unless `x` is a finite number strictly greater than zero. */
export function requirePositive(fn: string, arg: string, x: unknown): number {
  const v = requireFinite(fn, arg, x);
  if (!(v > 0)) throw new InvalidArgumentError(`${fn}: ${arg} must be > 0, got ${v}`);
  return v;
}

/** Throws unless `x` is a finite number ≥ 0. */
export function requireNonNegative(fn: string, arg: string, x: unknown): number {
  const v = requireFinite(fn, arg, x);
  if (!(v >= 0)) throw new InvalidArgumentError(`${fn}: ${arg} must be ≥ 0, got ${v}`);
  return v;
}

/** Throws unless `x` is an integer in `[min, max]`. */
export function requireInteger(
  fn: string,
  arg: string,
  x: unknown,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw new InvalidArgumentError(`${fn}: ${arg} must be an integer ${range}, got ${describeValue(x)}`);
  }
  return x;
}

/** Throws unless `x` is a probability in [0, 1]. */
export function requireProbability(fn: string, arg: string, x: unknown): number {
  if (typeof x !== 'number' || !(x >= 0 && x <= 1)) {
    throw new InvalidArgumentError(`${fn}: ${arg} must be a probability in [0, 1], got ${describeValue(x)}`);
  }
  return x;
}

/** Throws unless `x` lies in the open interval (0, 1). */
export function requireOpenUnit(fn: string, arg: string, x: unknown): number {
  const v = requireFinite(fn, arg, x);
  if (!(v > 0 && v < 1)) throw new InvalidArgumentError(`${fn}: ${arg} must be in (0, 1), got ${v}`);
  return v;
}

/** Throws unless every entry of a vector is finite; returns it unchanged. */
export function requireFiniteVector<T extends ArrayLike<number>>(fn: string, arg: string, v: T): T {
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (!Number.isFinite(x)) {
      throw new NonFiniteError(`${fn}: ${arg} must have finite entries, got ${x} at index ${i}`);
    }
  }
  return v;
}

/** Reads an options object, treating `undefined` as `{}` and rejecting non-objects. */
export function readOptions<T extends object>(fn: string, opts: T | undefined): Partial<T> {
  if (opts === undefined) return {};
  if (typeof opts !== 'object' || opts === null) {
    throw new InvalidArgumentError(`${fn}: options must be an object, got ${describeValue(opts)}`);
  }
  return opts;
}
