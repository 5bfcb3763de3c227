/**
 * Depth bounds on gradient norms, kept in log space so that they never silently under- or overflow.
 *
 * @module
 */
import { describeValue, InvalidArgumentError } from './errors.js';
import { norm2 } from './internal/matrix.js';
import { requireFiniteVector, requireNonNegative } from './internal/validate.js';

/** A positive quantity given both as a float64 value and as its exact base-10 logarithm. */
export interface LogValue {
  /** The value as a float64 (0 on underflow, Infinity on overflow: read `log10` then). */
  readonly value: number;
  /** log₁₀ of the value (−Infinity for exactly 0). */
  readonly log10: number;
  /** The decimal mantissa m ∈ [1, 10) with value = m·10^exponent (0 for exactly 0). */
  readonly mantissa: number;
  /** The decimal exponent (0 for exactly 0). */
  readonly exponent: number;
}

/** Builds a {@link LogValue} from a base-10 logarithm. */
function fromLog10(log10: number): LogValue {
  if (log10 === Number.NEGATIVE_INFINITY) return { value: 0, log10, mantissa: 0, exponent: 0 };
  const exponent = Math.floor(log10);
  return { value: 10 ** log10, log10, mantissa: 10 ** (log10 - exponent), exponent };
}

function powLog(fn: string, base: number, baseArg: string, depth: number): LogValue {
  requireNonNegative(fn, baseArg, base);
  requireNonNegative(fn, 'depth', depth);
  if (depth === 0) return fromLog10(0);
  return fromLog10(depth * Math.log10(base));
}

/**
 * The overall gain factor^depth of a signal multiplied by the same factor in each of `depth`
 * layers, in log space: 0.25^1000 has log10 = −602.06 and mantissa 8.7 although its float64
 * value underflows to 0.
 *
 * @param factorPerLayer - The per-layer factor f ≥ 0 (for example |σ′|·‖W‖).
 * @param depth - Number of layers d ≥ 0 (need not be an integer).
 * @returns f^d as value, log10, mantissa and exponent.
 * @throws InvalidArgumentError when f < 0 or d < 0; NonFiniteError for NaN/±Infinity.
 * @example
 * ```ts
 * import { attenuation } from '@gflow/core';
 * const a = attenuation(0.25, 1000);
 * a.log10; // −602.0599913279624
 * a.value; // 0 (underflow), but a.mantissa ≈ 8.71 and a.exponent = −603
 * ```
 * @see Hochreiter (1991), "Untersuchungen zu dynamischen neuronalen Netzen"; Bengio, Simard & Frasconi (1994).
 */
export function attenuation(factorPerLayer: number, depth: number): LogValue {
  return powLog('attenuation', factorPerLayer, 'factorPerLayer', depth);
}

/**
 * The upper bound M^L on the gradient gain through L plain layers whose Jacobians each have
 * norm at most M: ‖∏ J_i‖ ≤ ∏ ‖J_i‖ ≤ M^L.
 *
 * @param M - Bound on each layer's Jacobian norm, M ≥ 0.
 * @param L - Number of layers, L ≥ 0.
 * @returns M^L as a {@link LogValue}.
 * @throws InvalidArgumentError when M < 0 or L < 0.
 * @example
 * ```ts
 * import { plainUpperBound } from '@gflow/core';
 * plainUpperBound(0.9, 100).value; // 2.66e-5: a plain 100-layer stack with ‖J‖ ≤ 0.9 must vanish
 * ```
 * @see Pascanu, Mikolov & Bengio (2013), "On the difficulty of training recurrent neural networks".
 */
export function plainUpperBound(M: number, L: number): LogValue {
  return powLog('plainUpperBound', M, 'M', L);
}

/**
 * The lower bound (1 − M)^L on the smallest singular value of a product of L residual Jacobians
 * I + B_i with ‖B_i‖ ≤ M < 1: σ_min(∏(I + B_i)) ≥ ∏(1 − ‖B_i‖) ≥ (1 − M)^L. It says the
 * residual gradient cannot vanish faster than that. For M ≥ 1 the bound is void (I + B can be singular).
 *
 * @param M - Bound on each residual branch's Jacobian norm, 0 ≤ M < 1.
 * @param L - Number of residual blocks, L ≥ 0.
 * @returns (1 − M)^L as a {@link LogValue}.
 * @throws InvalidArgumentError when M ≥ 1 (the bound is void), M < 0 or L < 0.
 * @example
 * ```ts
 * import { residualLowerBound } from '@gflow/core';
 * residualLowerBound(0.01, 100).value; // (0.99)^100 ≈ 0.366
 * ```
 * @see He et al. (2016), "Deep Residual Learning"; Hardt & Ma (2017), "Identity Matters in Deep Learning".
 */
export function residualLowerBound(M: number, L: number): LogValue {
  const fn = 'residualLowerBound';
  requireNonNegative(fn, 'M', M);
  if (M >= 1) {
    throw new InvalidArgumentError(
      `${fn}: M must be < 1 (with ‖B‖ ≥ 1 the residual Jacobian I + B can be singular, so no positive lower bound exists), got ${M}`,
    );
  }
  return powLog(fn, 1 - M, 'M', L);
}

/**
 * Gradient clipping by norm: g·min(1, c/‖g‖) (Pascanu et al. 2013). The input is not mutated.
 *
 * @param g - The gradient vector (finite entries).
 * @param c - The threshold c > 0.
 * @returns A new vector of the same kind: `number[]` in, `number[]` out; a typed array in, a Float64Array out.
 * @throws InvalidArgumentError when c ≤ 0 or g is not an array; NonFiniteError for non-finite entries.
 * @example
 * ```ts
 * import { clippedStep } from '@gflow/core';
 * clippedStep([3, 4], 1); // [0.6, 0.8]
 * clippedStep([0.3, 0.4], 1); // unchanged
 * ```
 * @see Pascanu, Mikolov & Bengio (2013), "On the difficulty of training recurrent neural networks".
 */
export function clippedStep<T extends readonly number[] | Float32Array | Float64Array>(
  g: T,
  c: number,
): T extends readonly number[] ? number[] : Float64Array {
  const fn = 'clippedStep';
  if (!(Array.isArray(g) || g instanceof Float32Array || g instanceof Float64Array)) {
    throw new InvalidArgumentError(
      `${fn}: g must be a number[] or a Float32Array/Float64Array, got ${describeValue(g)}`,
    );
  }
  requireFiniteVector(fn, 'g', g);
  if (!(typeof c === 'number' && c > 0))
    throw new InvalidArgumentError(`${fn}: c must be > 0, got ${describeValue(c)}`);
  const n = norm2(g);
  const f = n > c ? c / n : 1;
  const out = Float64Array.from(g as ArrayLike<number>, (x) => x * f);
  return (Array.isArray(g) ? Array.from(out) : out) as never;
}
