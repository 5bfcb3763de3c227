/**
 * A small seeded pseudo-random generator (sfc32 seeded through splitmix32) with Gaussian draws.
 * Deterministic across platforms: the same seed gives the same stream.
 *
 * @module
 */

/** A seeded stream of uniform and standard-normal numbers. */
export interface Rng {
  /** Uniform on [0, 1). */
  uniform(): number;
  /** Standard normal N(0, 1) (Marsaglia's polar method). */
  normal(): number;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Creates a generator from an integer seed. */
export function createRng(seed: number): Rng {
  const init = splitmix32(Math.floor(seed) | 0);
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) next();
  let spare = Number.NaN;
  const uniform = (): number => (next() * 2 ** 21 + (next() >>> 11)) / 2 ** 53;
  return {
    uniform,
    normal() {
      if (!Number.isNaN(spare)) {
        const s = spare;
        spare = Number.NaN;
        return s;
      }
      for (;;) {
        const u = 2 * uniform() - 1;
        const v = 2 * uniform() - 1;
        const r = u * u + v * v;
        if (r > 0 && r < 1) {
          const f = Math.sqrt((-2 * Math.log(r)) / r);
          spare = v * f;
          return u * f;
        }
      }
    },
  };
}

/** A vector of `n` independent N(0, 1) draws. */
export function gaussianVector(rng: Rng, n: number): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal();
  return v;
}
