/**
 * Seeded float32-representable normal samples (mulberry32 + Box–Muller), for tests. Deliberately
 * not gflow's shared generator (`@gflow/core/internal`): test data stays independent of the code
 * under test, and the seeds and tolerances of `conv-net.test.ts` were chosen on this stream (its
 * seed 100 avoids a ReLU pre-activation within rounding of zero, which flips between engines; on
 * the shared stream the same seed put the plain net's wasm and cpu gradients 4% apart).
 */
export function randn(n: number, seed: number, scale = 1): Float64Array {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(uniform(), 1e-12);
    const v = uniform();
    out[i] = Math.fround(scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  }
  return out;
}

/** Seeded integers in [lo, hi]. */
export function randInt(lo: number, hi: number, seed: number): number {
  const u = randn(1, seed)[0]!;
  const p = 0.5 * (1 + Math.tanh(u));
  return Math.min(hi, lo + Math.floor(p * (hi - lo + 1)));
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
