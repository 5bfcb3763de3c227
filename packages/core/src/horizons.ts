/**
 * Time horizons of a linear recurrence with contraction or expansion factor ρ per step.
 *
 * @module
 */
import { requireFinite, requireOpenUnit, requirePositive } from './internal/validate.js';

/**
 * The largest finite float32 value, (2 − 2⁻²³)·2¹²⁷ ≈ 3.4028e38: the default overflow limit of
 * {@link instabilityHorizon} (tfjs computes in float32).
 *
 * @example
 * ```ts
 * import { FLOAT32_MAX } from '@gflow/core';
 * Math.fround(FLOAT32_MAX) === FLOAT32_MAX; // true
 * ```
 * @see IEEE 754-2019, binary32.
 */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * The number of steps T after which a signal contracted by ρ per step has fallen to ε:
 * T = ln ε / ln ρ (ρ^T = ε). Infinity when ρ ≥ 1 (the signal never decays).
 *
 * @param rho - Per-step factor ρ > 0 (e.g. the spectral radius of the recurrent Jacobian).
 * @param eps - Threshold ε in (0, 1).
 * @returns T ≥ 0, or Infinity when ρ ≥ 1.
 * @throws InvalidArgumentError when ρ ≤ 0 or ε ∉ (0, 1).
 * @example
 * ```ts
 * import { effectiveHorizon } from '@gflow/core';
 * effectiveHorizon(0.9, 1e-3); // ln 1e-3 / ln 0.9 ≈ 65.6 steps
 * ```
 * @see Bengio, Simard & Frasconi (1994), "Learning long-term dependencies with gradient descent is difficult".
 */
export function effectiveHorizon(rho: number, eps: number): number {
  requirePositive('effectiveHorizon', 'rho', rho);
  requireOpenUnit('effectiveHorizon', 'eps', eps);
  if (rho >= 1) return Number.POSITIVE_INFINITY;
  return Math.log(eps) / Math.log(rho);
}

/**
 * The memory span τ = −1/ln ρ, the e-folding time of ρ^t = e^{−t/τ}. Infinity when ρ ≥ 1.
 *
 * @param rho - Per-step factor ρ > 0.
 * @returns τ > 0, or Infinity when ρ ≥ 1.
 * @throws InvalidArgumentError when ρ ≤ 0.
 * @example
 * ```ts
 * import { memorySpan } from '@gflow/core';
 * memorySpan(Math.exp(-0.1)); // 10 steps
 * ```
 * @see Bengio, Simard & Frasconi (1994); Le, Jaitly & Hinton (2015), "A simple way to initialize recurrent networks of rectified linear units".
 */
export function memorySpan(rho: number): number {
  requirePositive('memorySpan', 'rho', rho);
  if (rho >= 1) return Number.POSITIVE_INFINITY;
  return -1 / Math.log(rho);
}

/**
 * The first step T at which a norm growing by ρ > 1 per step exceeds the largest representable
 * value: the smallest integer T with initialNorm·ρ^T > maxFloat, i.e. ⌊ln(maxFloat/initialNorm)/ln ρ⌋ + 1.
 * Infinity when ρ ≤ 1; 0 when initialNorm already exceeds maxFloat.
 *
 * @param rho - Per-step growth factor ρ > 0.
 * @param initialNorm - Starting norm > 0.
 * @param maxFloat - Overflow limit (default float32 max ≈ 3.4028e38, {@link FLOAT32_MAX}).
 * @returns The number of steps to overflow.
 * @throws InvalidArgumentError when ρ, initialNorm or maxFloat is ≤ 0 or not finite.
 * @example
 * ```ts
 * import { instabilityHorizon } from '@gflow/core';
 * instabilityHorizon(2, 1); // 128: 2^128 > 3.4e38 ≥ 2^127
 * ```
 * @see Pascanu, Mikolov & Bengio (2013), "On the difficulty of training recurrent neural networks".
 */
export function instabilityHorizon(rho: number, initialNorm: number, maxFloat = FLOAT32_MAX): number {
  const fn = 'instabilityHorizon';
  requirePositive(fn, 'rho', rho);
  requirePositive(fn, 'initialNorm', initialNorm);
  requirePositive(fn, 'maxFloat', requireFinite(fn, 'maxFloat', maxFloat));
  if (initialNorm > maxFloat) return 0;
  if (rho <= 1) return Number.POSITIVE_INFINITY;
  const t = (Math.log(maxFloat) - Math.log(initialNorm)) / Math.log(rho);
  // Guard the floor against rounding right at an integer.
  let T = Math.floor(t) + 1;
  while (T > 0 && Math.log(initialNorm) + (T - 1) * Math.log(rho) > Math.log(maxFloat)) T--;
  return T;
}
