import { NonFiniteError } from '@gflow/core';
import { type Reads, readOptions, runReadsAsync, runReadsSync } from '@gflow/core/internal';
import { checkPoints, checkProgress, checkRange, linspace } from './internal/grid.js';
import { evaluateReads, nonFiniteName, prepare } from './internal/objective.js';
import {
  assertFiniteVector,
  flatFromReads,
  layoutOf,
  SavedParameters,
  tensorsFrom,
} from './internal/params.js';
import type { NonFinitePoint, Objective, ParamsLike, Progress, VectorLike } from './types.js';

/** Options of {@link lossLine}. */
export interface LossLineOptions {
  /** The interval of α (default `[-1, 1]`). */
  readonly range?: readonly [number, number];
  /** The number of evenly spaced α, ends included (default `51`, at least 2). */
  readonly points?: number;
  /** Called after each point. */
  readonly onProgress?: (progress: Progress) => void;
}

/** The result of {@link lossLine}: plain data, ready to plot. */
export interface LossLineResult {
  /** The α of each point. */
  readonly alphas: readonly number[];
  /** `L(θ + α d)` at each α; `NaN` where the loss was not finite (listed in `nonFinite`). */
  readonly losses: readonly number[];
  /** `L(θ)`, the loss at the center. */
  readonly centerLoss: number;
  /** The points whose loss was NaN or infinite. */
  readonly nonFinite: readonly NonFinitePoint[];
}

/**
 * The loss along a line through the current parameters: `L(θ + α d)` for α on an even grid.
 *
 * The parameters are moved in place and restored bit for bit afterward, even when the loss
 * throws. With a {@link BatchedObjective} each point is the mean over the batches. A non-finite
 * loss away from the center is stored as `NaN` and listed in `nonFinite` (note that
 * `JSON.stringify` writes `NaN` as `null`).
 *
 * @param lossFn - The loss at the current parameter values, or `{ loss(batch), batches }`.
 * @param params - The parameters to move (a `Module` or a list of `Parameter`s).
 * @param direction - A direction shaped like the parameters, e.g. from {@link randomDirection}.
 * @param options - Range, number of points and a progress callback.
 * @returns The grid of α and the losses, the center loss and the non-finite points.
 * @throws ShapeError (from `@gflow/core`) when the direction does not match the parameters.
 * @throws InvalidArgumentError (from `@gflow/core`) for options that are not an object, `points < 2` or a
 *   grid above `@gflow/core`'s allocation limit, a bad range or a non-finite direction.
 * @throws NonFiniteError (from `@gflow/core`) when the loss at the center is not finite.
 * @example
 * ```ts
 * const d = randomDirection(model, { seed: 0 });
 * const { alphas, losses } = lossLine(() => loss(model.apply(x), y), model, d, { range: [-1, 1], points: 51 });
 * ```
 * @see Goodfellow, Vinyals, Saxe 2015, "Qualitatively characterizing neural network optimization problems".
 */
export function lossLine<B>(
  lossFn: Objective<B>,
  params: ParamsLike,
  direction: VectorLike,
  options: LossLineOptions = {},
): LossLineResult {
  return runReadsSync(lineReads('lossLine', lossFn, params, direction, options));
}

/**
 * {@link lossLine} with asynchronous reads: the same points (one implementation), each loss read
 * back by `await data()` instead of `dataSync()`, so the results are {@link lossLine}'s to the
 * last bit on the same engine. In a browser the main thread stays free between points, and on
 * webgpu tfjs reads through a mapped buffer rather than its synchronous canvas copy (see
 * `@gflow/backend`'s README). The parameters are moved in place while the promise is pending and
 * restored bit for bit at the end, even when the loss throws: do not train them meanwhile.
 *
 * @param lossFn - The loss at the current parameter values, or `{ loss(batch), batches }`.
 * @param params - The parameters to move (a `Module` or a list of `Parameter`s).
 * @param direction - A direction shaped like the parameters, e.g. from {@link randomDirectionAsync}.
 * @param options - As {@link lossLine}.
 * @returns As {@link lossLine}.
 * @throws ShapeError, InvalidArgumentError, NonFiniteError (from `@gflow/core`): as {@link lossLine} (the promise rejects).
 * @example
 * ```ts
 * const d = await randomDirectionAsync(model, { seed: 0 });
 * const { alphas, losses } = await lossLineAsync(() => loss(model.apply(x), y), model, d, { points: 51 });
 * ```
 * @see Goodfellow, Vinyals, Saxe 2015, "Qualitatively characterizing neural network optimization problems".
 */
export async function lossLineAsync<B>(
  lossFn: Objective<B>,
  params: ParamsLike,
  direction: VectorLike,
  options: LossLineOptions = {},
): Promise<LossLineResult> {
  return runReadsAsync(lineReads('lossLineAsync', lossFn, params, direction, options));
}

/** The line, written once for both drivers: checks, then one read per point. */
function* lineReads<B>(
  fn: string,
  lossFn: Objective<B>,
  params: ParamsLike,
  direction: VectorLike,
  options: LossLineOptions,
): Reads<LossLineResult> {
  readOptions(fn, options);
  const [lo, hi] = checkRange(fn, 'options.range', options.range ?? [-1, 1]);
  const points = checkPoints(fn, 'options.points', options.points ?? 51);
  checkProgress(fn, options.onProgress);
  const layout = layoutOf(fn, params);
  const prepared = prepare(fn, lossFn);
  const dir = yield* flatFromReads(fn, 'direction', layout, direction);
  assertFiniteVector(fn, 'direction', layout, dir);
  const alphas = linspace(lo, hi, points);
  const losses: number[] = [];
  const nonFinite: NonFinitePoint[] = [];
  const saved = new SavedParameters(layout);
  const d = tensorsFrom(layout, dir);
  try {
    const centerLoss = yield* evaluateReads(fn, prepared, layout.hostRead);
    if (!Number.isFinite(centerLoss)) {
      throw new NonFiniteError(`${fn}: the loss at the center (α = 0) must be finite, got ${centerLoss}`);
    }
    for (const [i, alpha] of alphas.entries()) {
      let value = centerLoss;
      if (alpha !== 0) {
        saved.moveTo([d], [alpha]);
        value = yield* evaluateReads(fn, prepared, layout.hostRead);
      }
      if (Number.isFinite(value)) {
        losses.push(value);
      } else {
        losses.push(Number.NaN);
        nonFinite.push({ index: i, coordinates: [alpha], value: nonFiniteName(value) });
      }
      options.onProgress?.({ done: i + 1, total: points });
    }
    return { alphas, losses, centerLoss, nonFinite };
  } finally {
    saved.dispose();
    for (const t of d) t.dispose();
  }
}
