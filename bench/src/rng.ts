/** A seeded N(0,1) generator (mulberry32 + Box-Muller) for data made on the host. */
export function gaussian(seed: number): () => number {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const v = spare;
      spare = undefined;
      return v;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** `n` draws of N(0,1) from seed `seed`. */
export function gaussianArray(n: number, seed: number): Float64Array {
  const g = gaussian(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = g();
  return out;
}

/** `n` integers uniform in [0, k) from seed `seed`. */
export function randomLabels(n: number, k: number, seed: number): Int32Array {
  const g = gaussian(seed);
  const out = new Int32Array(n);
  // Φ(z) of a standard normal is uniform; erf-free: use the rank of 2 draws' angle instead.
  for (let i = 0; i < n; i++) {
    const a = Math.atan2(g(), g()); // uniform on (-π, π]
    out[i] = Math.min(k - 1, Math.floor(((a + Math.PI) / (2 * Math.PI)) * k));
  }
  return out;
}
