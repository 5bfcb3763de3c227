/**
 * The argument checks every gflow package shares (through `@gflow/core/internal`). Each throws a
 * `GflowError` subclass whose message names the function, the argument, what it needed and what
 * it got. The `require*` checks are core's; the `check*` ones came from models and diagnostics,
 * whose internal `validate.ts` files re-export them under the same names.
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

/** Reads an options object, treating `undefined` as `{}` and rejecting non-objects (arrays too). */
export function readOptions<T extends object>(fn: string, options: T | undefined): Partial<T> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`${fn}: options must be an object, got ${describeValue(options)}`);
  }
  return options;
}

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

/** Throws unless `value` is a finite number ≥ 0 (or > 0 when `strict`). */
export function checkNonNegative(fn: string, arg: string, value: unknown, strict = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (strict && value === 0)) {
    throw new InvalidArgumentError(
      `${fn}: ${arg} must be a finite number ${strict ? '> 0' : '≥ 0'}, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** Throws unless `value` is an integer in [min, max]. */
export function checkInteger(
  fn: string,
  arg: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw new InvalidArgumentError(`${fn}: ${arg} must be an integer ${range}, got ${describeValue(value)}`);
  }
  return value;
}

/** Throws unless `value` is a finite number in the interval described by the bounds. */
export function checkInRange(
  fn: string,
  arg: string,
  value: unknown,
  lo: number,
  hi: number,
  { loOpen = false, hiOpen = false }: { loOpen?: boolean; hiOpen?: boolean } = {},
): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (loOpen ? value > lo : value >= lo) &&
    (hiOpen ? value < hi : value <= hi);
  if (!ok) {
    throw new InvalidArgumentError(
      `${fn}: ${arg} must be in ${loOpen ? '(' : '['}${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${describeValue(value)}`,
    );
  }
  return value as number;
}
