/**
 * gflow's one seeded pseudo-random generator: sfc32 (Doty-Humphrey's small fast counting
 * generator, 128 bits of state) seeded through splitmix32, with float64 uniform and Gaussian
 * draws. Deterministic across platforms and engines: the same seed gives the same stream. Every
 * package draws from it (through `@gflow/core/internal`), so that a seed means one thing
 * everywhere.
 *
 * @module
 */

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A seeded stream of uniform, Gaussian, Rademacher and integer draws (sfc32). */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | undefined;

  /** @param seed - Any number; its integer part modulo 2³² seeds the stream (NaN counts as 0). */
  constructor(seed: number) {
    const init = splitmix32(Math.floor(seed) >>> 0);
    this.a = init();
    this.b = init();
    this.c = init();
    this.d = init();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform on (0, 1) with 53-bit resolution, never exactly 0 or 1 (safe under a log). */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo + 0.5) / 9007199254740992;
  }

  /** Standard normal N(0, 1) by the Box–Muller transform (the second draw of each pair is kept). */
  normal(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    const u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** A uniformly random permutation of 0..n−1 (Fisher–Yates). */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns them. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const x = items[i] as T;
      items[i] = items[j] as T;
      items[j] = x;
    }
    return items;
  }

  /** `n` independent N(0, 1) draws. */
  normalVector(n: number): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal();
    return out;
  }

  /** `n` independent ±1 entries, each with probability ½ (Rademacher), one bit a draw. */
  rademacherVector(n: number): Float64Array {
    const out = new Float64Array(n);
    let bits = 0;
    let left = 0;
    for (let i = 0; i < n; i++) {
      if (left === 0) {
        bits = this.nextUint32();
        left = 32;
      }
      out[i] = bits & 1 ? 1 : -1;
      bits >>>= 1;
      left--;
    }
    return out;
  }
}

/** Creates a generator from a seed (the same as `new Rng(seed)`). */
export function createRng(seed: number): Rng {
  return new Rng(seed);
}

/** A vector of `n` independent N(0, 1) draws from `rng`. */
export function gaussianVector(rng: Rng, n: number): Float64Array {
  return rng.normalVector(n);
}

/**
 * Mixes a numeric seed and a label (a parameter name) into a 32-bit seed (FNV-1a), so that each
 * parameter of a seeded model draws its own stream.
 */
export function deriveSeed(seed: number, label: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  h = Math.imul(h, 0x01000193) >>> 0;
  h ^= Math.floor(seed / 4294967296) >>> 0;
  h = Math.imul(h, 0x01000193) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
