import { describeValue, InvalidArgumentError, NonFiniteError, ShapeError } from '@gflow/core';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import type { ParameterVector, VectorPart } from './types.js';

/** A snapshot accepted by {@link pcaDirections}: parts with values (shapes and names optional), or one flat array. */
export type SnapshotLike = readonly VectorPart[] | ArrayLike<number>;

/** The result of {@link pcaDirections}. */
export interface PcaDirectionsResult {
  /** The first principal direction, a unit vector shaped like the snapshots. */
  readonly d1: ParameterVector;
  /** The second principal direction, a unit vector orthogonal to `d1`. */
  readonly d2: ParameterVector;
  /** The fraction of the trajectory's variance (about the final point) along `d1` and along `d2`. */
  readonly explainedVariance: readonly [number, number];
  /**
   * Each snapshot's coordinates `[(θ_i − θ_final)·d1, (θ_i − θ_final)·d2]`, in order: the path
   * to draw over a {@link lossPlane} computed about the final point with `d1`, `d2`.
   */
  readonly projections: readonly (readonly [number, number])[];
}

interface Flat {
  values: Float64Array;
  parts: { name: string; shape: number[]; size: number }[];
}

function flatten(s: SnapshotLike, i: number): Flat {
  const fn = 'pcaDirections';
  if (s == null || typeof s !== 'object') {
    throw new InvalidArgumentError(
      `${fn}: snapshots[${i}] must be a parameter vector or a flat array, got ${describeValue(s)}`,
    );
  }
  if (ArrayBuffer.isView(s) || typeof (s as ArrayLike<unknown>)[0] === 'number') {
    const a = s as ArrayLike<number>;
    return {
      values: Float64Array.from(a, Number),
      parts: [{ name: 'flat', shape: [a.length], size: a.length }],
    };
  }
  if (!Array.isArray(s)) {
    throw new InvalidArgumentError(
      `${fn}: snapshots[${i}] must be a parameter vector (an array of { values }) or a flat array, got ${describeValue(s)}`,
    );
  }
  const parts = s as readonly { name?: string; shape?: readonly number[]; values: ArrayLike<number> }[];
  let total = 0;
  const meta = parts.map((p, j) => {
    if (p == null || p.values == null || typeof p.values.length !== 'number') {
      throw new InvalidArgumentError(
        `${fn}: snapshots[${i}][${j}] must have values, got ${describeValue(p)}`,
      );
    }
    total += p.values.length;
    return {
      name: p.name ?? String(j),
      shape: p.shape ? p.shape.slice() : [p.values.length],
      size: p.values.length,
    };
  });
  const values = new Float64Array(total);
  let off = 0;
  for (const p of parts) {
    for (let j = 0; j < p.values.length; j++) values[off + j] = Number(p.values[j]);
    off += p.values.length;
  }
  return { values, parts: meta };
}

/**
 * The top two principal directions of a training trajectory, for a 2-D loss plot that the path
 * actually lies in (Li et al. 2018, §7): the right singular vectors of the matrix whose rows are
 * `θ_i − θ_final`, i.e. the trajectory centered on its final point, as Li et al. do.
 *
 * Computed from the small Gram matrix `M Mᵀ` (snapshots × snapshots) with `ml-matrix`'s symmetric
 * eigendecomposition, so the cost is linear in the parameter count. The directions are unit
 * vectors (no filter normalization: the coordinates are distances in parameter space), signed so
 * that the first snapshot has non-negative coordinates.
 *
 * @param snapshots - At least three snapshots of the same parameters, in training order (for
 *   example from {@link snapshotParameters}); the last one is the center.
 * @returns `d1`, `d2`, the explained variance of each and every snapshot's coordinates.
 * @throws InvalidArgumentError (from `@gflow/core`) for fewer than three snapshots or a trajectory that does not span two directions.
 * @throws ShapeError (from `@gflow/core`) when the snapshots' shapes differ.
 * @throws NonFiniteError (from `@gflow/core`) when a snapshot holds NaN or infinite values.
 * @example
 * ```ts
 * const { d1, d2, projections } = pcaDirections(trajectory);
 * const plane = lossPlane(lossFn, model, d1, d2, { range: [-2, 2], points: 25 });
 * ```
 * @see Li, Xu, Taylor, Studer, Goldstein 2018, "Visualizing the Loss Landscape of Neural Nets".
 */
export function pcaDirections(snapshots: readonly SnapshotLike[]): PcaDirectionsResult {
  const fn = 'pcaDirections';
  const flats = checkedFlats(fn, snapshots);
  const ref = flats[flats.length - 1] as Flat;
  const dim = ref.values.length;
  const m = flats.length - 1;
  const rows = flats.slice(0, m).map((f) => {
    const r = new Float64Array(dim);
    for (let j = 0; j < dim; j++) r[j] = (f.values[j] as number) - (ref.values[j] as number);
    return r;
  });
  const gram = Matrix.zeros(m, m);
  for (let a = 0; a < m; a++) {
    for (let b = a; b < m; b++) {
      let s = 0;
      const ra = rows[a] as Float64Array;
      const rb = rows[b] as Float64Array;
      for (let j = 0; j < dim; j++) s += (ra[j] as number) * (rb[j] as number);
      gram.set(a, b, s);
      gram.set(b, a, s);
    }
  }
  const eig = new EigenvalueDecomposition(gram, { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  const vectors = eig.eigenvectorMatrix;
  const order = values.map((_, i) => i).sort((a, b) => (values[b] as number) - (values[a] as number));
  const totalVar = values.reduce((s, x) => s + Math.max(x, 0), 0);
  const top = order.slice(0, 2);
  const l1 = values[top[0] ?? 0] ?? 0;
  const l2 = values[top[1] ?? 0] ?? 0;
  if (!(l1 > 0) || !(l2 > 1e-12 * l1) || m < 2) {
    throw new InvalidArgumentError(
      `${fn}: snapshots must span at least two directions about the final point, got ${l1 > 0 ? 'a trajectory along one line' : 'identical snapshots'}`,
    );
  }
  const dirs = top.map((k) => {
    const lam = values[k] as number;
    const d = new Float64Array(dim);
    for (let a = 0; a < m; a++) {
      const u = vectors.get(a, k);
      const ra = rows[a] as Float64Array;
      for (let j = 0; j < dim; j++) d[j] = (d[j] as number) + u * (ra[j] as number);
    }
    const inv = 1 / Math.sqrt(lam);
    for (let j = 0; j < dim; j++) d[j] = (d[j] as number) * inv;
    // Sign: the first snapshot gets a non-negative coordinate.
    let c = 0;
    const r0 = rows[0] as Float64Array;
    for (let j = 0; j < dim; j++) c += (r0[j] as number) * (d[j] as number);
    if (c < 0) for (let j = 0; j < dim; j++) d[j] = -(d[j] as number);
    return d;
  }) as [Float64Array, Float64Array];
  const toVector = (d: Float64Array): ParameterVector => {
    let off = 0;
    return ref.parts.map((p) => {
      const values = Array.from(d.subarray(off, off + p.size), (x) => x + 0); // no −0 in plain data
      off += p.size;
      return { name: p.name, shape: p.shape, values };
    });
  };
  const projections = flats.map((_, i) => {
    if (i === m) return [0, 0] as const;
    const r = rows[i] as Float64Array;
    let x = 0;
    let y = 0;
    for (let j = 0; j < dim; j++) {
      x += (r[j] as number) * (dirs[0][j] as number);
      y += (r[j] as number) * (dirs[1][j] as number);
    }
    return [x + 0, y + 0] as const;
  });
  return {
    d1: toVector(dirs[0]),
    d2: toVector(dirs[1]),
    explainedVariance: [l1 / totalVar, l2 / totalVar],
    projections,
  };
}

/** The snapshots flattened, checked: at least 3, every one with the last one's parts and sizes, finite. */
function checkedFlats(fn: string, snapshots: readonly SnapshotLike[]): Flat[] {
  if (!Array.isArray(snapshots) || snapshots.length < 3) {
    throw new InvalidArgumentError(
      `${fn}: snapshots must be an array of at least 3 snapshots, got ${Array.isArray(snapshots) ? `${snapshots.length}` : describeValue(snapshots)}`,
    );
  }
  const flats = snapshots.map((s, i) => flatten(s, i));
  const ref = flats[flats.length - 1] as Flat;
  const dim = ref.values.length;
  flats.forEach((f, i) => {
    const same =
      f.parts.length === ref.parts.length && f.parts.every((p, j) => p.size === ref.parts[j]?.size);
    if (!same || f.values.length !== dim) {
      throw new ShapeError(
        `${fn}: snapshots[${i}] must have the parts and sizes of the last snapshot ([${ref.parts.map((p) => p.size).join(', ')}]), got [${f.parts.map((p) => p.size).join(', ')}]`,
      );
    }
    for (let j = 0; j < dim; j++) {
      if (!Number.isFinite(f.values[j])) {
        throw new NonFiniteError(
          `${fn}: snapshots[${i}] must be finite, got ${f.values[j]} at flat index ${j}`,
        );
      }
    }
  });
  return flats;
}
