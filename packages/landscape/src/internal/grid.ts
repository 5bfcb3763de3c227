import { checkAllocation, describeValue, InvalidArgumentError } from '@gflow/core';
import { checkInteger } from '@gflow/core/internal';

/**
 * Checks a point count (an integer ≥ 2), and that a grid of that many points is within
 * `@gflow/core`'s allocation limit (each point is a loss evaluation and a stored float64).
 */
export function checkPoints(fn: string, arg: string, points: unknown): number {
  const n = checkInteger(fn, arg, points, 2);
  checkAllocation(fn, 'grid points', n, 8);
  return n;
}

/** Checks a range `[lo, hi]` of finite numbers with lo < hi. */
export function checkRange(fn: string, arg: string, range: unknown): [number, number] {
  if (
    !Array.isArray(range) ||
    range.length !== 2 ||
    typeof range[0] !== 'number' ||
    typeof range[1] !== 'number' ||
    !Number.isFinite(range[0]) ||
    !Number.isFinite(range[1]) ||
    !(range[0] < range[1])
  ) {
    throw new InvalidArgumentError(
      `${fn}: ${arg} must be [lo, hi] with finite lo < hi, got ${describeValue(range)}`,
    );
  }
  return [range[0], range[1]];
}

/** `points` evenly spaced numbers from lo to hi inclusive (the ends exact). */
export function linspace(lo: number, hi: number, points: number): number[] {
  const out = new Array<number>(points);
  for (let i = 0; i < points; i++) out[i] = i === points - 1 ? hi : lo + ((hi - lo) * i) / (points - 1);
  return out;
}

/** Checks an optional progress callback. */
export function checkProgress(fn: string, cb: unknown): void {
  if (cb !== undefined && typeof cb !== 'function') {
    throw new InvalidArgumentError(`${fn}: options.onProgress must be a function, got ${describeValue(cb)}`);
  }
}
