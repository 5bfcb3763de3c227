/**
 * Expected activation derivatives under a distribution of pre-activations.
 *
 * @module
 */
import type { ActivationInput } from './activations.js';
import { describeValue, InvalidArgumentError } from './errors.js';
import { normalExpectation, uniformExpectation } from './internal/gaussian-expectation.js';
import { resolveActivation } from './internal/resolve-activation.js';
import { requireFinite, requireFiniteVector, requireNonNegative } from './internal/validate.js';

/** A normal law N(mean, std²). */
export interface NormalDistribution {
  /** Discriminant. */
  readonly kind: 'normal';
  /** μ. */
  readonly mean: number;
  /** σ ≥ 0. */
  readonly std: number;
}

/** A uniform law on [low, high]. */
export interface UniformDistribution {
  /** Discriminant. */
  readonly kind: 'uniform';
  /** Lower end a. */
  readonly low: number;
  /** Upper end b ≥ a. */
  readonly high: number;
}

/** The empirical law of a sample. */
export interface SampleDistribution {
  /** Discriminant. */
  readonly kind: 'samples';
  /** The sample (at least one finite value). */
  readonly values: ArrayLike<number>;
}

/** A distribution of pre-activations: {@link normal}, {@link uniform} or {@link samples}. */
export type Distribution = NormalDistribution | UniformDistribution | SampleDistribution;

/**
 * The normal law N(μ, σ²), integrated by Gauss–Hermite quadrature.
 *
 * @param mean - μ (default 0).
 * @param std - σ ≥ 0 (default 1).
 * @returns A {@link NormalDistribution}.
 * @throws InvalidArgumentError / NonFiniteError when μ is not finite or σ < 0.
 * @example
 * ```ts
 * import { expectedSquaredDerivative, normal } from '@gflow/core';
 * expectedSquaredDerivative('relu', normal(0, 1)); // 0.5
 * ```
 * @see Poole et al. (2016), where pre-activations are Gaussian in the wide limit.
 */
export function normal(mean = 0, std = 1): NormalDistribution {
  requireFinite('normal', 'mean', mean);
  requireNonNegative('normal', 'std', std);
  return { kind: 'normal', mean, std };
}

/**
 * The uniform law on [a, b], integrated by Gauss–Legendre quadrature.
 *
 * @param low - a.
 * @param high - b ≥ a.
 * @returns A {@link UniformDistribution}.
 * @throws InvalidArgumentError when the ends are not finite or b < a.
 * @example
 * ```ts
 * import { expectedDerivative, uniform } from '@gflow/core';
 * expectedDerivative('relu', uniform(-1, 1)); // 0.5
 * ```
 * @see Glorot & Bengio (2010), whose initialization draws weights uniformly.
 */
export function uniform(low: number, high: number): UniformDistribution {
  requireFinite('uniform', 'low', low);
  requireFinite('uniform', 'high', high);
  if (!(high >= low)) throw new InvalidArgumentError(`uniform: high must be ≥ low = ${low}, got ${high}`);
  return { kind: 'uniform', low, high };
}

/**
 * The empirical law of a sample (the expectation is the sample mean).
 *
 * @param values - At least one finite value (not copied; do not mutate it afterwards).
 * @returns A {@link SampleDistribution}.
 * @throws InvalidArgumentError when empty; NonFiniteError when an entry is not finite.
 * @example
 * ```ts
 * import { expectedDerivative, samples } from '@gflow/core';
 * expectedDerivative('relu', samples([-1, 2, 3, -4])); // 0.5
 * ```
 * @see Pennington et al. (2017), who use the empirical pre-activation law of real networks.
 */
export function samples(values: ArrayLike<number>): SampleDistribution {
  if (
    values === null ||
    typeof values !== 'object' ||
    typeof values.length !== 'number' ||
    values.length === 0
  ) {
    throw new InvalidArgumentError(
      `samples: values must be a non-empty array of numbers, got ${describeValue(values)}`,
    );
  }
  requireFiniteVector('samples', 'values', values);
  return { kind: 'samples', values };
}

function expectation(
  fn: string,
  g: (x: number) => number,
  kinks: readonly number[],
  dist: Distribution,
): number {
  if (dist === null || typeof dist !== 'object') {
    throw new InvalidArgumentError(
      `${fn}: dist must be normal(μ, σ), uniform(a, b) or samples(xs), got ${describeValue(dist)}`,
    );
  }
  switch (dist.kind) {
    case 'normal':
      requireFinite(fn, 'dist.mean', dist.mean);
      requireNonNegative(fn, 'dist.std', dist.std);
      return normalExpectation(g, dist.mean, dist.std, kinks);
    case 'uniform':
      requireFinite(fn, 'dist.low', dist.low);
      requireFinite(fn, 'dist.high', dist.high);
      if (!(dist.high >= dist.low)) {
        throw new InvalidArgumentError(`${fn}: dist.high must be ≥ dist.low = ${dist.low}, got ${dist.high}`);
      }
      return uniformExpectation(g, dist.low, dist.high, kinks);
    case 'samples': {
      const v = dist.values;
      if (v.length === 0)
        throw new InvalidArgumentError(`${fn}: dist.values must be non-empty, got 0 values`);
      requireFiniteVector(fn, 'dist.values', v);
      let s = 0;
      for (let i = 0; i < v.length; i++) s += g(v[i]!);
      return s / v.length;
    }
    default:
      throw new InvalidArgumentError(
        `${fn}: dist must be normal(μ, σ), uniform(a, b) or samples(xs), got kind ${describeValue((dist as { kind?: unknown }).kind)}`,
      );
  }
}

/**
 * The expected derivative E[φ′(X)] of an activation under a pre-activation law.
 *
 * Normal laws by Gauss–Hermite (composite Gauss–Legendre split at kinks such as relu's 0 and for
 * wide laws), uniform laws by Gauss–Legendre, samples by their mean; agrees with adaptive
 * integration to 1e-10.
 *
 * @param act - An activation name or object.
 * @param dist - {@link normal}, {@link uniform} or {@link samples}.
 * @returns E[φ′(X)].
 * @throws InvalidArgumentError for an unknown activation or a malformed distribution.
 * @example
 * ```ts
 * import { expectedDerivative, normal } from '@gflow/core';
 * expectedDerivative('relu', normal(0, 1)); // 0.5
 * ```
 * @see Glorot & Bengio (2010), "Understanding the difficulty of training deep feedforward neural networks".
 */
export function expectedDerivative(act: ActivationInput, dist: Distribution): number {
  const a = resolveActivation('expectedDerivative', act);
  return expectation('expectedDerivative', a.df, a.kinks, dist);
}

/**
 * The expected squared derivative E[φ′(X)²], the per-layer gain of the gradient's second moment.
 *
 * χ₁ = σ_w² E[φ′(√q* Z)²] in mean-field theory is this quantity times the weight variance.
 *
 * @param act - An activation name or object.
 * @param dist - {@link normal}, {@link uniform} or {@link samples}.
 * @returns E[φ′(X)²].
 * @throws InvalidArgumentError for an unknown activation or a malformed distribution.
 * @example
 * ```ts
 * import { expectedSquaredDerivative, normal } from '@gflow/core';
 * expectedSquaredDerivative('relu', normal(0, 1)); // 0.5 = P(Z > 0)
 * ```
 * @see Schoenholz et al. (2017), "Deep Information Propagation".
 */
export function expectedSquaredDerivative(act: ActivationInput, dist: Distribution): number {
  const a = resolveActivation('expectedSquaredDerivative', act);
  const df = a.df;
  return expectation('expectedSquaredDerivative', (x) => df(x) ** 2, a.kinks, dist);
}
