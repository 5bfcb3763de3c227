/**
 * The size check every `@gflow/*` builder and iterative routine runs before it allocates: the
 * number of values it is about to create is estimated from its arguments and compared with a
 * process-wide limit, so that a size such as 1e9 is refused in microseconds with the estimate in
 * the message, instead of after gigabytes of allocation (or never).
 *
 * @module
 */
import { describeValue, InvalidArgumentError } from './errors.js';

/**
 * The default allocation limit: 2²⁸ = 268,435,456 values (1 GiB as float32, 2 GiB as float64)
 * in one call, e.g. the parameters of one model or the vectors of one Lanczos run.
 */
export const DEFAULT_ALLOCATION_LIMIT = 2 ** 28;

let limit = DEFAULT_ALLOCATION_LIMIT;

/**
 * The current allocation limit: the most values (tensor elements or float64 entries) one call may
 * allocate. {@link DEFAULT_ALLOCATION_LIMIT} unless changed with {@link setAllocationLimit}.
 *
 * @returns The limit, in values.
 * @example
 * ```ts
 * import { allocationLimit } from '@gflow/core';
 * allocationLimit(); // 268435456
 * ```
 */
export function allocationLimit(): number {
  return limit;
}

/**
 * Sets the allocation limit used by every `@gflow/*` size check, and returns the previous one.
 *
 * @param values - The most values one call may allocate: an integer ≥ 1, or `Infinity` to turn the
 *   check off.
 * @returns The previous limit, so that a caller can restore it.
 * @throws {@link InvalidArgumentError} unless `values` is an integer ≥ 1 or `Infinity`.
 * @example
 * ```ts
 * import { setAllocationLimit } from '@gflow/core';
 * const previous = setAllocationLimit(2 ** 30); // allow models up to ~1e9 parameters
 * // …
 * setAllocationLimit(previous);
 * ```
 */
export function setAllocationLimit(values: number): number {
  if (!(values === Infinity || (typeof values === 'number' && Number.isInteger(values) && values >= 1))) {
    throw new InvalidArgumentError(
      `setAllocationLimit: values must be an integer ≥ 1 or Infinity, got ${describeValue(values)}`,
    );
  }
  const previous = limit;
  limit = values;
  return previous;
}

/**
 * Refuses, before anything is allocated, a call that would allocate more than
 * {@link allocationLimit} values. `values` is the caller's estimate (exact or a lower bound); it
 * may be `Infinity` or NaN-free overflow of a product, which is refused too.
 *
 * @param fn - The public function doing the check, named in the message.
 * @param what - What is counted, e.g. `'parameters'` or `'float64 values'`.
 * @param values - The estimate.
 * @param bytesPerValue - Bytes per value, for the message (4 for float32, 8 for float64).
 * @returns `values`, when within the limit.
 * @throws {@link InvalidArgumentError} when `values` is above the limit (the message gives the
 *   estimate in values and bytes, the limit and how to raise it), or when an argument has the wrong
 *   type.
 * @example
 * ```ts
 * import { checkAllocation } from '@gflow/core';
 * checkAllocation('myBuilder', 'parameters', 1e9 * 4, 4);
 * // throws: myBuilder: would allocate about 4.00e+9 parameters (1.60e+10 bytes), above the
 * // allocation limit of 268435456 values; raise it with setAllocationLimit() if this is intended
 * ```
 */
export function checkAllocation(fn: string, what: string, values: number, bytesPerValue = 4): number {
  if (typeof fn !== 'string' || typeof what !== 'string') {
    throw new InvalidArgumentError(
      `checkAllocation: fn and what must be strings, got ${describeValue(fn)} and ${describeValue(what)}`,
    );
  }
  if (typeof values !== 'number' || Number.isNaN(values) || values < 0) {
    throw new InvalidArgumentError(
      `${fn}: the ${what} estimate must be a number ≥ 0, got ${describeValue(values)}`,
    );
  }
  if (typeof bytesPerValue !== 'number' || !(bytesPerValue > 0 && bytesPerValue < Infinity)) {
    throw new InvalidArgumentError(
      `checkAllocation: bytesPerValue must be a finite number > 0, got ${describeValue(bytesPerValue)}`,
    );
  }
  if (!(values <= limit)) {
    const est = Number.isFinite(values) ? values.toExponential(2) : String(values);
    const bytes = Number.isFinite(values) ? (values * bytesPerValue).toExponential(2) : String(values);
    throw new InvalidArgumentError(
      `${fn}: would allocate about ${est} ${what} (${bytes} bytes), above the allocation limit of ` +
        `${limit} values; raise it with setAllocationLimit() if this is intended`,
    );
  }
  return values;
}
