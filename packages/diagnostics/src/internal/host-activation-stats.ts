/**
 * [mean, std, min, max, zeroFraction, deadUnitFraction] of an activation held in host memory, in
 * one float64 pass (plus one for the variance), for engines whose tensors live on the host.
 *
 * @internal
 * @module
 */

/**
 * Engines whose `dataSync()` is a copy out of host memory (the wasm heap, a JS array,
 * libtensorflow's CPU buffers), kept in `@gflow/core/internal`. There, reading an activation back
 * and reducing it in JavaScript costs less than the dozen reduction kernels of the on-device path
 * (measured on wasm for a 4×32×32×64 activation: see the package README).
 */
export { HOST_MEMORY_ENGINES } from '@gflow/core/internal';

/**
 * The statistics of `data` viewed as [rows, units] with the unit (last axis) fastest: mean and
 * population standard deviation, min, max, the fraction of exact zeros, and the fraction of units
 * that are exactly zero in every row. NaN anywhere makes every statistic but the zero fractions
 * NaN, as the device path's reductions do. Values are float32 (every tfjs engine's activations);
 * other arrays are rounded to float32 first.
 *
 * One pass, without data-dependent branches (a ReLU activation is zero at random places, and the
 * mispredicted branches of a per-value zero test made the pass three times slower): the moments
 * are shifted sums in float64, Σ(v − k) and Σ(v − k)² with k the first value (0 if it is not finite), which
 * keep the cancellation error at ε·(mean − k)²/σ² (Chan, Golub and LeVeque 1983); zeros are found
 * in the float32 bit patterns (|v| = 0 exactly when the bits below the sign are all zero).
 */
export function hostActivationStats(data: ArrayLike<number>, units: number): number[] {
  const f = data instanceof Float32Array ? data : Float32Array.from(data);
  const n = f.length;
  if (n === 0) return [Number.NaN, Number.NaN, Number.NaN, Number.NaN, Number.NaN, Number.NaN];
  const width = units > 0 && n % units === 0 ? units : 1;
  const bits = new Int32Array(f.buffer, f.byteOffset, n);
  const alive = new Int32Array(width);
  const k = Number.isFinite(f[0]!) ? f[0]! : 0;
  let s = 0;
  let ss = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let nonzero = 0;
  for (let row = 0; row < n; row += width) {
    for (let u = 0; u < width; u++) {
      const v = f[row + u]!;
      const e = v - k;
      s += e;
      ss += e * e;
      min = Math.min(min, v);
      max = Math.max(max, v);
      const magnitude = bits[row + u]! & 0x7fffffff;
      nonzero += (magnitude + 0x7fffffff) >>> 31; // 1 unless magnitude is 0
      alive[u]! |= magnitude;
    }
  }
  let dead = 0;
  for (let u = 0; u < width; u++) if (alive[u] === 0) dead++;
  const variance = Math.max(0, (ss - (s * s) / n) / n);
  return [k + s / n, Math.sqrt(variance), min, max, 1 - nonzero / n, dead / width];
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
