import { Rng } from '@gflow/core/internal';

/** Seeded float32-representable normal samples (gflow's shared generator), for tests. */
export function randn(n: number, seed: number, scale = 1): Float64Array {
  const rng = new Rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.fround(scale * rng.normal());
  return out;
}

/** Seeded integers in [lo, hi]. */
export function randInt(lo: number, hi: number, seed: number): number {
  return lo + new Rng(seed).int(hi - lo + 1);
}

/** ‖a − b‖ / max(‖b‖, floor). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-12): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  return Math.sqrt(num) / Math.max(Math.sqrt(den), floor);
}

/** A Float32Array copy (tfjs accepts no Float64Array). */
export function f32(a: ArrayLike<number>): Float32Array {
  return Float32Array.from(a);
}
