/**
 * Errors thrown by every `@gflow/*` package.
 *
 * Each error has a stable machine-readable {@link GflowError.code} and a message that names the
 * function, the argument, what it got and what it needed, for example
 * `spectralNorm: matrix must be 2-D, got shape [3]`.
 *
 * @module
 */

/**
 * Stable error codes. Code that handles errors should switch on these, never on message text.
 */
export type GflowErrorCode =
  | 'INVALID_ARGUMENT'
  | 'SHAPE_MISMATCH'
  | 'NON_FINITE'
  | 'BACKEND_UNAVAILABLE'
  | 'NOT_CONVERGED'
  | 'UNSUPPORTED'
  | 'IO_ERROR';

/** Options accepted by every {@link GflowError} constructor. */
export interface GflowErrorOptions {
  /** The lower-level error that caused this one, if any. */
  readonly cause?: unknown;
}

/**
 * Base class of every error thrown by gflow.
 *
 * @example
 * ```ts
 * import { GflowError, spectralNorm } from '@gflow/core';
 * try {
 *   spectralNorm([[1, Number.NaN]]);
 * } catch (e) {
 *   if (e instanceof GflowError) console.log(e.code); // 'NON_FINITE'
 * }
 * ```
 */
export class GflowError extends Error {
  /** A stable code for programmatic handling. */
  readonly code: GflowErrorCode;

  /**
   * @param code - The stable error code.
   * @param message - What went wrong: the function, the argument, what it got and what it needed.
   * @param options - The underlying cause, if any.
   */
  constructor(code: GflowErrorCode, message: string, options: GflowErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** An argument had an invalid value (out of range, wrong type, unknown name). Code `INVALID_ARGUMENT`. */
export class InvalidArgumentError extends GflowError {
  /**
   * @param message - The function, the argument, what it got and what it needed.
   * @param options - The underlying cause, if any.
   */
  constructor(message: string, options: GflowErrorOptions = {}) {
    super('INVALID_ARGUMENT', message, options);
  }
}

/** An array, matrix or tensor had the wrong shape. Code `SHAPE_MISMATCH`. */
export class ShapeError extends GflowError {
  /**
   * @param message - The function, the argument, the shape it got and the shape it needed.
   * @param options - The underlying cause, if any.
   */
  constructor(message: string, options: GflowErrorOptions = {}) {
    super('SHAPE_MISMATCH', message, options);
  }
}

/** A value that must be finite was NaN or infinite. Code `NON_FINITE`. */
export class NonFiniteError extends GflowError {
  /**
   * @param message - The function, the argument and where the non-finite value was found.
   * @param options - The underlying cause, if any.
   */
  constructor(message: string, options: GflowErrorOptions = {}) {
    super('NON_FINITE', message, options);
  }
}

/** A requested TensorFlow.js engine could not start. Code `BACKEND_UNAVAILABLE`. */
export class BackendUnavailableError extends GflowError {
  /**
   * @param message - Which engine, why it could not start, and what to do about it.
   * @param options - The underlying cause, if any.
   */
  constructor(message: string, options: GflowErrorOptions = {}) {
    super('BACKEND_UNAVAILABLE', message, options);
  }
}

/** An iterative method did not reach its tolerance and the caller asked for that to be an error. Code `NOT_CONVERGED`. */
export class ConvergenceError extends GflowError {
  /**
   * @param message - The method, the tolerance asked for and the residual reached.
   * @param options - The underlying cause, if any.
   */
  constructor(message: string, options: GflowErrorOptions = {}) {
    super('NOT_CONVERGED', message, options);
  }
}

/** The operation is not supported in this configuration. Code `UNSUPPORTED`. */
export class UnsupportedError extends GflowError {
  /**
   * @param message - What was asked, and why it cannot be done here.
   * @param options - The underlying cause, if any.
   */
  constructor(message: string, options: GflowErrorOptions = {}) {
    super('UNSUPPORTED', message, options);
  }
}

/** Reading or writing a file failed, or a file's contents were invalid. Code `IO_ERROR`. */
export class GflowIOError extends GflowError {
  /**
   * @param message - The file, the operation and what went wrong.
   * @param options - The underlying cause, if any.
   */
  constructor(message: string, options: GflowErrorOptions = {}) {
    super('IO_ERROR', message, options);
  }
}

/**
 * Formats a value for an error message: shapes as `[2, 3]`, strings quoted, long arrays cut, a
 * tensor by its dtype and shape (`Tensor float32 [5, 4]`, `disposed` when it was), a plain object
 * by its first keys (`{inputs, targets}`), an instance by its class (`Map`), a function by name.
 *
 * @param value - Anything.
 * @returns A short, single-line description.
 * @example
 * ```ts
 * import { describeValue } from '@gflow/core';
 * describeValue([2, 3]); // '[2, 3]'
 * describeValue('relu'); // '"relu"'
 * describeValue({ inputs: x }); // '{inputs}'
 * ```
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) {
    const head = value.slice(0, 8).map((v) => (Array.isArray(v) ? `[…${v.length}]` : describeValue(v)));
    return `[${head.join(', ')}${value.length > 8 ? `, … (${value.length} items)` : ''}]`;
  }
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object') return describeObject(value);
  return String(value);
}

/** A tensor (anything with an array `shape` and a string `dtype`), a plain object or an instance. */
function describeObject(value: object): string {
  const v = value as { shape?: unknown; dtype?: unknown; isDisposed?: unknown };
  if (Array.isArray(v.shape) && typeof v.dtype === 'string') {
    const disposed = v.isDisposed === true ? ' (disposed)' : '';
    return `Tensor ${v.dtype} [${v.shape.join(', ')}]${disposed}`;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const keys = Object.keys(value);
    return `{${keys.slice(0, 6).join(', ')}${keys.length > 6 ? `, … (${keys.length} keys)` : ''}}`;
  }
  const name = (proto?.constructor as { name?: string } | undefined)?.name;
  return name ? name : Object.prototype.toString.call(value);
}
