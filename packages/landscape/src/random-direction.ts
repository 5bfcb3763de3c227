import { describeValue, InvalidArgumentError } from '@gflow/core';
import { type Reads, readOptions, runReadsAsync, runReadsSync } from '@gflow/core/internal';
import type { ParameterRole } from '@gflow/models';
import { type Layout, layoutOf, readFlatReads } from './internal/params.js';
import { Random } from './internal/random.js';
import type { ParameterVector, ParamsLike } from './types.js';

/** How {@link randomDirection} scales each part of the direction. */
export type DirectionNormalization = 'filter' | 'layer' | 'none';

/** Options of {@link randomDirection}. */
export interface RandomDirectionOptions {
  /**
   * `'filter'` (default): each filter of a kernel (a slice along its last axis: an output channel
   * of an HWIO convolution kernel, an output neuron, i.e. a column, of an `[in, out]` dense
   * kernel) is rescaled to the norm of the matching filter of the weights, as in Li et al. 2018.
   * `'layer'`: each parameter tensor is rescaled to the norm of the weights as a whole.
   * `'none'`: the raw N(0, 1) draw.
   */
  readonly normalization?: DirectionNormalization;
  /**
   * Parameter roles whose part of the direction is zero (default `['bias', 'norm']`, as Li et al.
   * ignore biases and batch-norm parameters). Pass `[]` to move them too: vectors (rank ≤ 1) are
   * then rescaled as a whole to the weights' norm, never entry by entry.
   */
  readonly ignore?: readonly ParameterRole[];
  /** Seed of the draw (default `0`). */
  readonly seed?: number;
}

const ROLES: readonly ParameterRole[] = ['kernel', 'bias', 'norm', 'gate', 'recurrent', 'other'];

/**
 * Draws a random direction in parameter space, d ~ N(0, I), normalized filter by filter (Li et al.
 * 2018): `d_f ← d_f · ‖θ_f‖ / ‖d_f‖` for each filter f of each kernel, with biases and
 * normalization parameters zeroed.
 *
 * Filters are slices along a kernel's last axis (HWIO convolution kernels: one per output channel;
 * `[in, out]` dense kernels: one per output neuron). Rank ≤ 1 parameters (biases, norm scales and
 * offsets) are never normalized entry by entry, which would make the direction ±θ itself; when not
 * ignored they are rescaled as a whole. A filter whose weights are all zero gets a zero direction.
 *
 * @param params - The parameters (a `Module` or a list of `Parameter`s); read, never changed.
 * @param options - Normalization, roles to ignore and seed.
 * @returns The direction, plain data shaped like the parameters.
 * @throws InvalidArgumentError (from `@gflow/core`) for an unknown normalization or role, or bad params.
 * @example
 * ```ts
 * const d = randomDirection(model, { normalization: 'filter', seed: 1 });
 * const line = lossLine(() => loss(model.apply(x), y), model, d);
 * ```
 * @see Li, Xu, Taylor, Studer, Goldstein 2018, "Visualizing the Loss Landscape of Neural Nets".
 */
export function randomDirection(params: ParamsLike, options: RandomDirectionOptions = {}): ParameterVector {
  return runReadsSync(directionReads('randomDirection', params, options));
}

/**
 * {@link randomDirection} with an asynchronous read of the weights (`await data()` instead of
 * `dataSync()`): the same direction, bit for bit. In a browser the main thread stays free, and on
 * webgpu tfjs reads through a mapped buffer rather than its synchronous canvas copy (see
 * `@gflow/backend`'s README).
 *
 * @param params - The parameters (a `Module` or a list of `Parameter`s); read, never changed.
 * @param options - As {@link randomDirection}.
 * @returns As {@link randomDirection}.
 * @throws InvalidArgumentError (from `@gflow/core`): as {@link randomDirection} (the promise rejects).
 * @example
 * ```ts
 * const d = await randomDirectionAsync(model, { seed: 1 });
 * const line = await lossLineAsync(() => loss(model.apply(x), y), model, d);
 * ```
 * @see Li, Xu, Taylor, Studer, Goldstein 2018, "Visualizing the Loss Landscape of Neural Nets".
 */
export async function randomDirectionAsync(
  params: ParamsLike,
  options: RandomDirectionOptions = {},
): Promise<ParameterVector> {
  return runReadsAsync(directionReads('randomDirectionAsync', params, options));
}

/** The direction, written once for both drivers: checks, one read of the weights, the draw. */
function* directionReads(
  fn: string,
  params: ParamsLike,
  options: RandomDirectionOptions,
): Reads<ParameterVector> {
  readOptions(fn, options);
  const normalization = options.normalization ?? 'filter';
  if (normalization !== 'filter' && normalization !== 'layer' && normalization !== 'none') {
    throw new InvalidArgumentError(
      `${fn}: options.normalization must be 'filter', 'layer' or 'none', got ${describeValue(normalization)}`,
    );
  }
  const ignore = options.ignore ?? ['bias', 'norm'];
  if (!Array.isArray(ignore) || ignore.some((r) => !ROLES.includes(r))) {
    throw new InvalidArgumentError(
      `${fn}: options.ignore must be a list of roles (${ROLES.join(', ')}), got ${describeValue(ignore)}`,
    );
  }
  const seed = options.seed ?? 0;
  if (!Number.isFinite(seed)) {
    throw new InvalidArgumentError(`${fn}: options.seed must be a finite number, got ${describeValue(seed)}`);
  }
  const layout = layoutOf(fn, params);
  const theta = normalization === 'none' ? undefined : yield* readFlatReads(layout);
  return drawDirection(layout, theta, normalization, ignore, seed);
}

/** Draws N(0, I) for every parameter and scales it to `theta` (filter by filter or as a whole). */
function drawDirection(
  layout: Layout,
  theta: Float64Array | undefined,
  normalization: DirectionNormalization,
  ignore: readonly ParameterRole[],
  seed: number,
): ParameterVector {
  const rng = new Random(seed);
  return layout.params.map((p, i) => {
    const size = layout.sizes[i] ?? 0;
    const off = layout.offsets[i] ?? 0;
    const shape = (layout.shapes[i] ?? []).slice();
    // Draw for every parameter, ignored or not, so that a part does not depend on `ignore`.
    const d = rng.normalVector(size);
    const values = new Array<number>(size).fill(0);
    if (ignore.includes(p.role)) return { name: p.name, shape, values };
    if (theta === undefined) {
      for (let j = 0; j < size; j++) values[j] = d[j] as number;
      return { name: p.name, shape, values };
    }
    const w = theta.subarray(off, off + size);
    const filters = normalization === 'filter' && shape.length >= 2 ? (shape[shape.length - 1] ?? 1) : 1;
    // Element j belongs to filter j mod filters (row-major, last axis fastest).
    const wn = new Float64Array(filters);
    const dn = new Float64Array(filters);
    for (let j = 0; j < size; j++) {
      const f = j % filters;
      wn[f] = (wn[f] as number) + (w[j] as number) ** 2;
      dn[f] = (dn[f] as number) + (d[j] as number) ** 2;
    }
    for (let j = 0; j < size; j++) {
      const f = j % filters;
      const den = Math.sqrt(dn[f] as number);
      values[j] = den > 0 ? ((d[j] as number) * Math.sqrt(wn[f] as number)) / den : 0;
    }
    return { name: p.name, shape, values };
  });
}
