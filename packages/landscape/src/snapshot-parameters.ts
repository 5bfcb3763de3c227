import { layoutOf, readFlat, toParameterVector } from './internal/params.js';
import type { ParameterVector, ParamsLike } from './types.js';

/**
 * Copies the parameters' current values into plain data: a point of a training trajectory for
 * {@link pcaDirections}, an end point for {@link interpolate}, or a save file (`JSON.stringify`).
 *
 * @param params - A `Module` or a list of `Parameter`s; read, never changed.
 * @returns One `{ name, shape, values }` per parameter, values as float64 numbers.
 * @throws InvalidArgumentError (from `@gflow/core`) when `params` is empty or holds a disposed variable.
 * @example
 * ```ts
 * const trajectory = [];
 * for (let epoch = 0; epoch < 20; epoch++) {
 *   train(model);
 *   trajectory.push(snapshotParameters(model));
 * }
 * const { d1, d2 } = pcaDirections(trajectory);
 * ```
 */
export function snapshotParameters(params: ParamsLike): ParameterVector {
  const layout = layoutOf('snapshotParameters', params);
  return toParameterVector(layout, readFlat(layout));
}
