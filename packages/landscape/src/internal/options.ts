import { describeValue, InvalidArgumentError } from '@gflow/core';

/**
 * Throws unless `options` is an options object (not null, not an array, not a primitive), so that
 * `lossLine(f, m, null)` names the function and the argument instead of failing inside it.
 * Callers give `undefined` its default (`{}`) in their signature before this runs.
 */
export function checkOptions(fn: string, options: unknown): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`${fn}: options must be an object, got ${describeValue(options)}`);
  }
}
