import type { ActivationStats } from '../gradient-tape.js';

/**
 * The {@link ActivationStats} of one tap from the values read back, where
 * `activationStatsTensor` (tap-recorder.ts) put them at `at`: [mean, std, min, max, zeroFraction,
 * deadUnitFraction]. The one decoder of that layout.
 */
export function activationStatsAt(v: Float64Array, at: number): ActivationStats {
  return {
    mean: v[at] as number,
    std: v[at + 1] as number,
    min: v[at + 2] as number,
    max: v[at + 3] as number,
    zeroFraction: v[at + 4] as number,
    deadUnitFraction: v[at + 5] as number,
  };
}
