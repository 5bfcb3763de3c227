import { Rng } from '@gflow/core/internal';

/**
 * A seeded uniform stream on (0, 1) from gflow's shared generator (`@gflow/core/internal`):
 * deterministic across platforms, for choices that must be reproducible (PCGrad's task order).
 */
export function seededUniform(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.uniform();
}

/** Shuffles `items` in place (Fisher–Yates) with the uniform stream `u`; returns them. */
export function shuffleInPlace<T>(items: T[], u: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1));
    const x = items[i] as T;
    items[i] = items[j] as T;
    items[j] = x;
  }
  return items;
}
