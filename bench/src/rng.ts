import { Rng } from '@gflow/core/internal';

/** A seeded N(0,1) generator (gflow's shared generator) for data made on the host. */
export function gaussian(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.normal();
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
  const rng = new Rng(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(k);
  return out;
}
