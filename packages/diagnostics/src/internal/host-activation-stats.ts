/**
 * [mean, std, min, max, zeroFraction, deadUnitFraction] of an activation held in host memory, in
 * one float64 pass (plus one for the variance), for engines whose tensors live on the host.
 *
 * @internal
 * @module
 */

/**
 * Engines whose `dataSync()` is a copy out of host memory (the wasm heap, a JS array,
 * libtensorflow's CPU buffers). There, reading an activation back and reducing it in JavaScript
 * costs less than the dozen reduction kernels of the on-device path (measured on wasm for a
 * 4×32×32×64 activation: see the package README).
 */
export const HOST_MEMORY_ENGINES: ReadonlySet<string> = new Set(['cpu', 'wasm', 'tensorflow']);

/**
 * The statistics of `data` viewed as [rows, units] with the unit (last axis) fastest: mean and
 * population standard deviation (two passes, float64), min, max, the fraction of exact zeros, and
 * the fraction of units that are exactly zero in every row. NaN anywhere makes every statistic
 * but the zero fractions NaN, as the device path's reductions do.
 */
export function hostActivationStats(data: ArrayLike<number>, units: number): number[] {
  const n = data.length;
  if (n === 0) return [Number.NaN, Number.NaN, Number.NaN, Number.NaN, Number.NaN, Number.NaN];
  const alive = new Uint8Array(units);
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let zeros = 0;
  let nan = false;
  for (let i = 0, u = 0; i < n; i++, u++) {
    if (u === units) u = 0;
    const v = data[i]!;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
    if (v === 0) zeros++;
    else {
      alive[u] = 1;
      if (Number.isNaN(v)) nan = true;
    }
  }
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = data[i]! - mean;
    ss += d * d;
  }
  let dead = 0;
  for (let u = 0; u < units; u++) if (alive[u] === 0) dead++;
  return [mean, Math.sqrt(ss / n), nan ? Number.NaN : min, nan ? Number.NaN : max, zeros / n, dead / units];
}

/**
 * Σ vᵢ² of `data` in float64 (NaN when any value is NaN, ∞ when one is infinite): the squared
 * norm that `measureGradientFlow` computes on the host for each parameter and its gradient on
 * {@link HOST_MEMORY_ENGINES}, where two reads cost less than the 5 kernels per parameter of the
 * device path.
 */
export function hostSquaredNorm(data: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    s += v * v;
  }
  return s;
}
