/**
 * The activation registry: each activation with its first and second derivatives, in float64.
 *
 * @module
 */
import { describeValue, InvalidArgumentError } from './errors.js';
import { normalCdf, normalPdf } from './internal/special.js';
import { readOptions, requireFinite } from './internal/validate.js';

/**
 * The names accepted by {@link activation}.
 *
 * @example
 * ```ts
 * import { activation, activationNames } from '@gflow/core';
 * for (const name of activationNames) console.log(name, activation(name).df(0));
 * ```
 * @see Dubey, Singh & Chaudhuri (2022), "Activation functions in deep learning: a comprehensive survey".
 */
export const activationNames = [
  'sigmoid',
  'tanh',
  'relu',
  'leakyRelu',
  'elu',
  'selu',
  'gelu',
  'silu',
  'swish',
  'mish',
  'softplus',
  'linear',
] as const;

/** One of {@link activationNames}. */
export type ActivationName = (typeof activationNames)[number];

/** A scalar activation function with its derivatives. */
export interface Activation {
  /** The registry name. */
  readonly name: ActivationName;
  /** φ(x). */
  f(x: number): number;
  /** φ′(x) (at a kink, the right-continuous convention tfjs uses: relu′(0) = 0). */
  df(x: number): number;
  /** φ″(x) (0 away from kinks for piecewise-linear activations). */
  d2f(x: number): number;
  /**
   * Points where φ, φ′ or φ″ is not smooth (empty for smooth activations); quadrature splits
   * the line there.
   */
  readonly kinks: readonly number[];
}

/** Parameters of the parameterized activations. */
export interface ActivationOptions {
  /** Negative slope of leakyRelu (default 0.01) or the scale of elu (default 1). */
  readonly alpha?: number;
  /** The β of swish, φ(x) = x·sigmoid(βx) (default 1; silu is swish with β = 1). */
  readonly beta?: number;
}

/** Either an activation name or an {@link Activation} object. */
export type ActivationInput = ActivationName | Activation;

// SELU constants (Klambauer et al. 2017).
const SELU_LAMBDA = 1.0507009873554805;
const SELU_ALPHA = 1.6732632423543772;

function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

function make(
  name: ActivationName,
  f: (x: number) => number,
  df: (x: number) => number,
  d2f: (x: number) => number,
  kinks: readonly number[] = [],
): Activation {
  return Object.freeze({ name, f, df, d2f, kinks: Object.freeze([...kinks]) });
}

/**
 * Looks up an activation by name and returns φ, φ′ and φ″.
 *
 * Definitions: sigmoid 1/(1+e^{−x}); tanh; relu max(0, x); leakyRelu max(αx, x) (α = 0.01);
 * elu x or α(eˣ − 1) (α = 1); selu λ·elu_α with λ ≈ 1.0507, α ≈ 1.6733; gelu x·Φ(x) (erf form);
 * silu x·sigmoid(x); swish x·sigmoid(βx) (β = 1); mish x·tanh(softplus x); softplus ln(1 + eˣ); linear x.
 *
 * @param name - One of {@link activationNames}.
 * @param options - `alpha` for leakyRelu/elu, `beta` for swish.
 * @returns A frozen {@link Activation}.
 * @throws InvalidArgumentError for an unknown name or a non-finite parameter.
 * @example
 * ```ts
 * import { activation } from '@gflow/core';
 * const t = activation('tanh');
 * t.df(0); // 1
 * activation('leakyRelu', { alpha: 0.2 }).f(-1); // -0.2
 * ```
 * @see Hendrycks & Gimpel (2016) for GELU; Klambauer et al. (2017) for SELU; Misra (2019) for Mish;
 * Ramachandran et al. (2017) for Swish.
 */
export function activation(name: ActivationName, options?: ActivationOptions): Activation {
  // Kept whole: a table with one case per activation (value, first and second derivative side by side, so each is checked against the others in one place); its length is the number of activations.
  const fn = 'activation';
  const o = readOptions(fn, options);
  switch (name) {
    case 'sigmoid':
      return make(
        name,
        sigmoid,
        (x) => {
          const s = sigmoid(x);
          return s * (1 - s);
        },
        (x) => {
          const s = sigmoid(x);
          return s * (1 - s) * (1 - 2 * s);
        },
      );
    case 'tanh':
      return make(
        name,
        Math.tanh,
        (x) => {
          const t = Math.tanh(x);
          return 1 - t * t;
        },
        (x) => {
          const t = Math.tanh(x);
          return -2 * t * (1 - t * t);
        },
      );
    case 'relu':
      return make(
        name,
        (x) => Math.max(x, 0),
        (x) => (x > 0 ? 1 : 0),
        () => 0,
        [0],
      );
    case 'leakyRelu': {
      const a = requireFinite(fn, 'options.alpha', o.alpha ?? 0.01);
      return make(
        name,
        (x) => (x > 0 ? x : a * x),
        (x) => (x > 0 ? 1 : a),
        () => 0,
        [0],
      );
    }
    case 'elu': {
      const a = requireFinite(fn, 'options.alpha', o.alpha ?? 1);
      return make(
        name,
        (x) => (x > 0 ? x : a * Math.expm1(x)),
        (x) => (x > 0 ? 1 : a * Math.exp(x)),
        (x) => (x > 0 ? 0 : a * Math.exp(x)),
        [0],
      );
    }
    case 'selu':
      return make(
        name,
        (x) => SELU_LAMBDA * (x > 0 ? x : SELU_ALPHA * Math.expm1(x)),
        (x) => SELU_LAMBDA * (x > 0 ? 1 : SELU_ALPHA * Math.exp(x)),
        (x) => (x > 0 ? 0 : SELU_LAMBDA * SELU_ALPHA * Math.exp(x)),
        [0],
      );
    case 'gelu':
      return make(
        name,
        (x) => x * normalCdf(x),
        (x) => normalCdf(x) + x * normalPdf(x),
        (x) => normalPdf(x) * (2 - x * x),
      );
    case 'silu':
    case 'swish': {
      const b = name === 'silu' ? 1 : requireFinite(fn, 'options.beta', o.beta ?? 1);
      return make(
        name,
        (x) => x * sigmoid(b * x),
        (x) => {
          const s = sigmoid(b * x);
          return s + b * x * s * (1 - s);
        },
        (x) => {
          const s = sigmoid(b * x);
          return b * s * (1 - s) * (2 + b * x * (1 - 2 * s));
        },
      );
    }
    case 'mish':
      return make(
        name,
        (x) => x * Math.tanh(softplus(x)),
        (x) => {
          const t = Math.tanh(softplus(x));
          const s = sigmoid(x);
          return t + x * s * (1 - t * t);
        },
        (x) => {
          const t = Math.tanh(softplus(x));
          const s = sigmoid(x);
          return s * (1 - t * t) * (2 + x * (1 - s) - 2 * x * t * s);
        },
      );
    case 'softplus':
      return make(name, softplus, sigmoid, (x) => {
        const s = sigmoid(x);
        return s * (1 - s);
      });
    case 'linear':
      return make(
        name,
        (x) => x,
        () => 1,
        () => 0,
      );
    default:
      throw new InvalidArgumentError(
        `${fn}: name must be one of ${activationNames.join(', ')}, got ${describeValue(name)}`,
      );
  }
}
