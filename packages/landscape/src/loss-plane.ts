import { checkAllocation, describeValue, InvalidArgumentError, NonFiniteError } from '@gflow/core';
import { readOptions } from '@gflow/core/internal';
import { checkPoints, checkProgress, checkRange, linspace } from './internal/grid.js';
import { evaluate, nonFiniteName, prepare } from './internal/objective.js';
import { assertFiniteVector, flatFrom, layoutOf, SavedParameters, tensorsFrom } from './internal/params.js';
import type { NonFinitePoint, Objective, ParamsLike, Progress, VectorLike } from './types.js';

/** Options of {@link lossPlane}. */
export interface LossPlaneOptions {
  /** One interval for both axes, or `[[xlo, xhi], [ylo, yhi]]` (default `[-1, 1]`). */
  readonly range?:
    | readonly [number, number]
    | readonly [readonly [number, number], readonly [number, number]];
  /** Points per axis, or `[nx, ny]` (default `21`, at least 2). */
  readonly points?: number | readonly [number, number];
  /** Called after each point. */
  readonly onProgress?: (progress: Progress) => void;
}

/** The result of {@link lossPlane}: plain data, ready for a contour plot. */
export interface LossPlaneResult {
  /** The coordinates along `d1`. */
  readonly xs: readonly number[];
  /** The coordinates along `d2`. */
  readonly ys: readonly number[];
  /**
   * `losses[j][i] = L(θ + xs[i] d1 + ys[j] d2)` (rows follow `ys`, as contour plots expect);
   * `NaN` where the loss was not finite (listed in `nonFinite`).
   */
  readonly losses: readonly (readonly number[])[];
  /** `L(θ)`, the loss at the center. */
  readonly centerLoss: number;
  /** The points whose loss was NaN or infinite (`index` along x, `index2` along y). */
  readonly nonFinite: readonly NonFinitePoint[];
}

function axisRange(fn: string, range: LossPlaneOptions['range']): [[number, number], [number, number]] {
  const r = range ?? [-1, 1];
  if (Array.isArray(r) && Array.isArray(r[0])) {
    if (r.length !== 2) {
      throw new InvalidArgumentError(
        `${fn}: options.range must be [lo, hi] or [[xlo, xhi], [ylo, yhi]], got ${describeValue(r)}`,
      );
    }
    return [checkRange(fn, 'options.range[0]', r[0]), checkRange(fn, 'options.range[1]', r[1])];
  }
  const both = checkRange(fn, 'options.range', r);
  return [both, both];
}

/**
 * The loss on a plane through the current parameters: `L(θ + x d1 + y d2)` on an even grid, the
 * surface plots of Li et al. 2018.
 *
 * The parameters are moved in place and restored bit for bit afterward, even when the loss
 * throws. With a {@link BatchedObjective} each point is the mean over the batches. A non-finite
 * loss away from the center is stored as `NaN` and listed in `nonFinite`.
 *
 * @param lossFn - The loss at the current parameter values, or `{ loss(batch), batches }`.
 * @param params - The parameters to move (a `Module` or a list of `Parameter`s).
 * @param d1 - The x direction, shaped like the parameters.
 * @param d2 - The y direction, shaped like the parameters.
 * @param options - Ranges, points per axis and a progress callback.
 * @returns The axes, the grid of losses, the center loss and the non-finite points.
 * @throws ShapeError (from `@gflow/core`) when a direction does not match the parameters.
 * @throws InvalidArgumentError (from `@gflow/core`) for options that are not an object, `points < 2` or a
 *   grid above `@gflow/core`'s allocation limit, a bad range or a non-finite direction.
 * @throws NonFiniteError (from `@gflow/core`) when the loss at the center is not finite.
 * @example
 * ```ts
 * const d1 = randomDirection(model, { seed: 1 });
 * const d2 = randomDirection(model, { seed: 2 });
 * const { xs, ys, losses } = lossPlane(lossFn, model, d1, d2, { range: [-1, 1], points: 25 });
 * ```
 * @see Li, Xu, Taylor, Studer, Goldstein 2018, "Visualizing the Loss Landscape of Neural Nets".
 */
export function lossPlane<B>(
  lossFn: Objective<B>,
  params: ParamsLike,
  d1: VectorLike,
  d2: VectorLike,
  options: LossPlaneOptions = {},
): LossPlaneResult {
  const fn = 'lossPlane';
  readOptions(fn, options);
  const [rx, ry] = axisRange(fn, options.range);
  const pts = options.points ?? 21;
  const [nx, ny] = Array.isArray(pts)
    ? [checkPoints(fn, 'options.points[0]', pts[0]), checkPoints(fn, 'options.points[1]', pts[1])]
    : [checkPoints(fn, 'options.points', pts), checkPoints(fn, 'options.points', pts)];
  checkAllocation(fn, 'grid points', nx * ny, 8);
  checkProgress(fn, options.onProgress);
  const layout = layoutOf(fn, params);
  const prepared = prepare(fn, lossFn);
  const f1 = flatFrom(fn, 'd1', layout, d1);
  assertFiniteVector(fn, 'd1', layout, f1);
  const f2 = flatFrom(fn, 'd2', layout, d2);
  assertFiniteVector(fn, 'd2', layout, f2);
  const xs = linspace(rx[0], rx[1], nx);
  const ys = linspace(ry[0], ry[1], ny);
  const losses: number[][] = [];
  const nonFinite: NonFinitePoint[] = [];
  const saved = new SavedParameters(layout);
  const t1 = tensorsFrom(layout, f1);
  const t2 = tensorsFrom(layout, f2);
  try {
    const centerLoss = evaluate(fn, prepared);
    if (!Number.isFinite(centerLoss)) {
      throw new NonFiniteError(`${fn}: the loss at the center (0, 0) must be finite, got ${centerLoss}`);
    }
    let done = 0;
    ys.forEach((y, j) => {
      const row: number[] = [];
      xs.forEach((x, i) => {
        let value = centerLoss;
        if (x !== 0 || y !== 0) {
          saved.moveTo([t1, t2], [x, y]);
          value = evaluate(fn, prepared);
        }
        if (Number.isFinite(value)) {
          row.push(value);
        } else {
          row.push(Number.NaN);
          nonFinite.push({ index: i, index2: j, coordinates: [x, y], value: nonFiniteName(value) });
        }
        done++;
        options.onProgress?.({ done, total: nx * ny });
      });
      losses.push(row);
    });
    return { xs, ys, losses, centerLoss, nonFinite };
  } finally {
    saved.dispose();
    for (const t of t1) t.dispose();
    for (const t of t2) t.dispose();
  }
}
