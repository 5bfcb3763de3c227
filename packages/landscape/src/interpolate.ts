import { NonFiniteError } from '@gflow/core';
import { readOptions } from '@gflow/core/internal';
import { checkPoints, checkProgress, checkRange, linspace } from './internal/grid.js';
import { evaluate, nonFiniteName, prepare } from './internal/objective.js';
import {
  assertFiniteVector,
  flatFrom,
  type Layout,
  layoutOf,
  readFlat,
  SavedParameters,
  tensorsFrom,
} from './internal/params.js';
import type { NonFinitePoint, Objective, ParamsLike, Progress, VectorLike } from './types.js';

/** Options of {@link interpolate}. */
export interface InterpolateOptions {
  /** The number of evenly spaced α, ends included (default `21`, at least 2). */
  readonly points?: number;
  /** The interval of α (default `[0, 1]`; extend it, e.g. `[-0.5, 1.5]`, to look past the ends). */
  readonly range?: readonly [number, number];
  /** Called after each point. */
  readonly onProgress?: (progress: Progress) => void;
}

/** The result of {@link interpolate}: plain data, ready to plot. */
export interface InterpolateResult {
  /** The α of each point. */
  readonly alphas: readonly number[];
  /** `L((1 − α) θ_A + α θ_B)` at each α; `NaN` where not finite (listed in `nonFinite`). */
  readonly losses: readonly number[];
  /** `L(θ_A)`. */
  readonly lossA: number;
  /** `L(θ_B)`. */
  readonly lossB: number;
  /**
   * The loss barrier `max_α [L(θ_α) − ((1 − α) L(θ_A) + α L(θ_B))]` over the grid's α in [0, 1]
   * (Frankle et al. 2020); near zero means the two are linearly mode connected.
   */
  readonly barrier: number;
  /** The α where the barrier is reached. */
  readonly barrierAlpha: number;
  /** The points whose loss was NaN or infinite (ignored by `barrier`). */
  readonly nonFinite: readonly NonFinitePoint[];
}

/** An end point of {@link interpolate}: a parameter vector, or a `Module` / `Parameter[]` whose values are read. */
export type EndpointLike = VectorLike | ParamsLike;

function isParamsLike(x: EndpointLike): x is ParamsLike {
  if (x == null || typeof x !== 'object') return false;
  if (typeof (x as { parameters?: unknown }).parameters === 'function') return true;
  const first = (x as ArrayLike<unknown>)[0] as { variable?: unknown } | undefined;
  return Array.isArray(x) && first != null && typeof first === 'object' && 'variable' in first;
}

function endpoint(fn: string, arg: string, layout: Layout, x: EndpointLike): Float64Array {
  const flat = isParamsLike(x)
    ? flatFrom(fn, arg, layout, Array.from(readFlat(layoutOf(fn, x, arg))))
    : flatFrom(fn, arg, layout, x);
  assertFiniteVector(fn, arg, layout, flat);
  return flat;
}

/**
 * The loss along the straight segment between two parameter settings,
 * `L((1 − α) θ_A + α θ_B)`, and the loss barrier on it: the test of linear mode connectivity.
 *
 * The model's parameters (`params`) are set to each point in turn and restored bit for bit
 * afterward, even when the loss throws. `from` and `to` are snapshots ({@link snapshotParameters})
 * or other models of the same architecture.
 *
 * @param lossFn - The loss at the current values of `params`, or `{ loss(batch), batches }`.
 * @param params - The parameters that are set to each point (a `Module` or a list of `Parameter`s).
 * @param from - θ_A (α = 0).
 * @param to - θ_B (α = 1).
 * @param options - Number of points, range of α and a progress callback.
 * @returns The losses along the segment, at both ends, and the barrier.
 * @throws ShapeError (from `@gflow/core`) when an end point does not match the parameters.
 * @throws InvalidArgumentError (from `@gflow/core`) for options that are not an object, `points < 2` or
 *   above `@gflow/core`'s allocation limit, or a bad range.
 * @throws NonFiniteError (from `@gflow/core`) when the loss at either end is not finite.
 * @example
 * ```ts
 * const a = snapshotParameters(model);      // after training run A
 * // ... train again from another seed ...
 * const r = interpolate(lossFn, model, a, snapshotParameters(model), { points: 21 });
 * console.log(r.barrier);
 * ```
 * @see Frankle, Dziugaite, Roy, Carbin 2020, "Linear Mode Connectivity and the Lottery Ticket Hypothesis".
 */
export function interpolate<B>(
  lossFn: Objective<B>,
  params: ParamsLike,
  from: EndpointLike,
  to: EndpointLike,
  options: InterpolateOptions = {},
): InterpolateResult {
  const fn = 'interpolate';
  readOptions(fn, options);
  const [lo, hi] = checkRange(fn, 'options.range', options.range ?? [0, 1]);
  const points = checkPoints(fn, 'options.points', options.points ?? 21);
  checkProgress(fn, options.onProgress);
  const layout = layoutOf(fn, params);
  const prepared = prepare(fn, lossFn);
  const a = endpoint(fn, 'from', layout, from);
  const b = endpoint(fn, 'to', layout, to);
  const alphas = linspace(lo, hi, points);
  const losses: number[] = [];
  const nonFinite: NonFinitePoint[] = [];
  const saved = new SavedParameters(layout);
  const ta = tensorsFrom(layout, a);
  const tb = tensorsFrom(layout, b);
  try {
    const at = (alpha: number): number => {
      saved.moveTo([ta, tb], [1 - alpha, alpha], false);
      return evaluate(fn, prepared);
    };
    const lossA = at(0);
    const lossB = at(1);
    if (!Number.isFinite(lossA) || !Number.isFinite(lossB)) {
      throw new NonFiniteError(
        `${fn}: the loss at both ends must be finite, got L(from) = ${lossA} and L(to) = ${lossB}`,
      );
    }
    let barrier = Number.NEGATIVE_INFINITY;
    let barrierAlpha = 0;
    alphas.forEach((alpha, i) => {
      const value = alpha === 0 ? lossA : alpha === 1 ? lossB : at(alpha);
      if (Number.isFinite(value)) {
        losses.push(value);
        if (alpha >= 0 && alpha <= 1) {
          const excess = value - ((1 - alpha) * lossA + alpha * lossB);
          if (excess > barrier) {
            barrier = excess;
            barrierAlpha = alpha;
          }
        }
      } else {
        losses.push(Number.NaN);
        nonFinite.push({ index: i, coordinates: [alpha], value: nonFiniteName(value) });
      }
      options.onProgress?.({ done: i + 1, total: points });
    });
    if (barrier === Number.NEGATIVE_INFINITY) barrier = 0; // no grid point in [0, 1] besides the ends
    return { alphas, losses, lossA, lossB, barrier: Math.max(barrier, 0), barrierAlpha, nonFinite };
  } finally {
    saved.dispose();
    for (const t of ta) t.dispose();
    for (const t of tb) t.dispose();
  }
}
