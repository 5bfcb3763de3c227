import { type ActivationName, activationNames } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { checkName, checkNumber, checkOneOf, checkTensor } from './internal/validate.js';

// One ActivationName: `@gflow/core`'s registry names, each implemented here with tfjs ops
// (`swish` is an alias of `silu`, β = 1). Re-exported so that models' users need not import core.
export { type ActivationName, activationNames } from '@gflow/core';

/** An activation with its parameter. */
export interface ActivationConfig {
  /** The registry name. */
  readonly name: ActivationName;
  /** α of `leakyRelu` (default 0.01) and `elu` (default 1); ignored by the others. */
  readonly alpha?: number;
}

/** An activation by name, or {@link ActivationConfig} to set the slope α of `leakyRelu` / `elu`. */
export type ActivationSpec = ActivationName | ActivationConfig;

/** A resolved activation: its name, its α and the elementwise tfjs function. */
export interface ResolvedActivation {
  /** The registry name. */
  readonly name: ActivationName;
  /** α of leakyRelu / elu (unused otherwise). */
  readonly alpha: number;
  /** Applies the activation elementwise; the result is the caller's to dispose. */
  readonly fn: (x: tf.Tensor) => tf.Tensor;
}

const SQRT1_2 = Math.SQRT1_2;

/**
 * Resolves an activation name (validating it before any tensor exists) into a tfjs function.
 *
 * - sigmoid σ(x) = 1/(1+e^{−x}); tanh; relu max(0, x); leakyRelu max(αx, x); elu x or α(eᵡ−1);
 * - selu λ·elu_{α}(x) with λ ≈ 1.0507, α ≈ 1.6733 (Klambauer et al. 2017);
 * - gelu x·Φ(x) = ½x(1+erf(x/√2)) (erf form; Hendrycks and Gimpel 2016);
 * - silu = swish x·σ(x) (Ramachandran et al. 2017); mish x·tanh(softplus(x)) (Misra 2019);
 * - softplus log(1+eᵡ); linear x.
 *
 * @param spec - A name, or `{ name, alpha }`.
 * @param fnName - The calling function, for error messages.
 * @param arg - The argument's name, for error messages (default `'activation'`).
 * @param arg - The argument's name, for error messages (default `'activation'`).
 * @returns The resolved activation.
 * @throws InvalidArgumentError (from `@gflow/core`) for an unknown name or a non-finite α.
 * @example
 * ```ts
 * const act = resolveActivation('gelu');
 * const y = act.fn(tf.tensor1d([-1, 0, 1])); // [-0.1587, 0, 0.8413]
 * ```
 * @see Hendrycks and Gimpel 2016, "Gaussian Error Linear Units (GELUs)".
 */
export function resolveActivation(
  spec: ActivationSpec,
  fnName = 'resolveActivation',
  arg = 'activation',
): ResolvedActivation {
  checkName('resolveActivation', fnName, arg);
  const isObj = typeof spec === 'object' && spec !== null;
  const name = checkOneOf(fnName, isObj ? `${arg}.name` : arg, isObj ? spec.name : spec, activationNames);
  const defaultAlpha = name === 'leakyRelu' ? 0.01 : 1;
  const alpha =
    isObj && spec.alpha !== undefined ? checkNumber(fnName, `${arg}.alpha`, spec.alpha) : defaultAlpha;
  return { name, alpha, fn: activationFn(name, alpha) };
}

function activationFn(name: ActivationName, alpha: number): (x: tf.Tensor) => tf.Tensor {
  switch (name) {
    case 'sigmoid':
      return (x) => tf.sigmoid(x);
    case 'tanh':
      return (x) => tf.tanh(x);
    case 'relu':
      return (x) => tf.relu(x);
    case 'leakyRelu':
      return (x) => tf.leakyRelu(x, alpha);
    case 'elu':
      return alpha === 1
        ? (x) => tf.elu(x)
        : (x) => tf.tidy(() => tf.where(tf.greater(x, 0), x, tf.mul(alpha, tf.expm1(tf.minimum(x, 0)))));
    case 'selu':
      return (x) => tf.selu(x);
    case 'gelu':
      return (x) => tf.tidy(() => tf.mul(tf.mul(0.5, x), tf.add(1, tf.erf(tf.mul(x, SQRT1_2)))));
    case 'silu':
    case 'swish':
      return (x) => tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
    case 'mish':
      return (x) => tf.tidy(() => tf.mul(x, tf.tanh(tf.softplus(x))));
    case 'softplus':
      return (x) => tf.softplus(x);
    case 'linear':
      return (x) => x;
  }
}

/**
 * Applies an activation by name; a convenience over {@link resolveActivation}.
 *
 * @param spec - The activation.
 * @param x - The input tensor.
 * @returns The activation of `x`, the caller's to dispose (for `linear`, `x` itself).
 * @throws InvalidArgumentError (from `@gflow/core`) for an unknown name, or `x` not a live float32 tensor.
 * @example
 * ```ts
 * const y = applyActivation('relu', tf.tensor1d([-1, 2])); // [0, 2]
 * ```
 */
export function applyActivation(spec: ActivationSpec, x: tf.Tensor): tf.Tensor {
  checkTensor('applyActivation', 'x', x, { dtype: 'float32' });
  return resolveActivation(spec, 'applyActivation').fn(x);
}
