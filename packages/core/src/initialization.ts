/**
 * Initialization rules: the classic variance formulas and Haar-random orthogonal matrices.
 *
 * @module
 */
import { type ActivationInput, type ActivationName, activation } from './activations.js';
import { normalExpectation } from './internal/gaussian-expectation.js';
import { haarOrthogonal } from './internal/orthogonal.js';
import { resolveActivation } from './internal/resolve-activation.js';
import { createRng } from './internal/rng.js';
import { readOptions, requireFinite, requireInteger, requirePositive } from './internal/validate.js';
import type { DenseMatrix } from './matrix-like.js';

/**
 * Xavier/Glorot variance 2/(n_in + n_out), which balances forward and backward signal variance
 * for activations with φ′(0) = 1.
 *
 * @param fanIn - n_in ≥ 1.
 * @param fanOut - n_out ≥ 1.
 * @returns The weight variance.
 * @throws InvalidArgumentError when a fan is not a positive integer.
 * @example
 * ```ts
 * import { xavierVariance } from '@gflow/core';
 * xavierVariance(256, 256); // 1/256
 * ```
 * @see Glorot & Bengio (2010), "Understanding the difficulty of training deep feedforward neural networks".
 */
export function xavierVariance(fanIn: number, fanOut: number): number {
  requireInteger('xavierVariance', 'fanIn', fanIn, 1);
  requireInteger('xavierVariance', 'fanOut', fanOut, 1);
  return 2 / (fanIn + fanOut);
}

/**
 * The gain g of an activation for variance-preserving initialization (Var(W) = g²/n_in).
 *
 * Convention: a name that PyTorch's `calculate_gain` tabulates gets PyTorch's value (linear 1,
 * sigmoid 1 — not the variance-preserving 1/√E[sigmoid(z)²] = 1.8462 — tanh 5/3, relu √2,
 * leakyRelu √(2/(1 + α²)), selu 3/4); every other name, and every activation object (even one
 * for sigmoid or tanh), gets g = 1/√E[φ(z)²], z ~ N(0, 1), the variance-preserving gain of He et
 * al.'s derivation: elu 1.2452, gelu 1.5335, silu and swish 1.6765, mish 1.4869, softplus 1.0419,
 * and for objects sigmoid 1.8462, tanh 1.5925, relu √2, selu 1.0000.
 *
 * @param act - An activation name or object (default 'relu').
 * @param options - `alpha`: the negative slope of leakyRelu (default 0.01).
 * @returns g > 0.
 * @throws InvalidArgumentError for an unknown activation.
 * @example
 * ```ts
 * import { activation, activationGain } from '@gflow/core';
 * activationGain('relu'); // √2
 * activationGain('tanh'); // 5/3
 * activationGain('sigmoid'); // 1 (PyTorch's table)
 * activationGain(activation('sigmoid')); // 1.8462 = 1/√E[sigmoid(z)²]
 * ```
 * @see He et al. (2015), "Delving deep into rectifiers"; PyTorch `torch.nn.init.calculate_gain`.
 */
export function activationGain(act: ActivationInput = 'relu', options?: { alpha?: number }): number {
  return Math.sqrt(gainSquared('activationGain', act, readOptions('activationGain', options).alpha));
}

/** g² of {@link activationGain}, exact for the tabulated activations (2 for relu, not √2²). */
function gainSquared(fn: string, act: ActivationInput, alpha: number | undefined): number {
  if (typeof act === 'string') {
    const name: ActivationName = resolveActivation(fn, act).name;
    switch (name) {
      case 'linear':
      case 'sigmoid':
        return 1;
      case 'tanh':
        return 25 / 9;
      case 'relu':
        return 2;
      case 'leakyRelu': {
        const a = requireFinite(fn, 'options.alpha', alpha ?? 0.01);
        return 2 / (1 + a * a);
      }
      case 'selu':
        return 9 / 16;
      default: {
        const f = activation(name);
        return 1 / normalExpectation((x) => f.f(x) ** 2, 0, 1, f.kinks);
      }
    }
  }
  const a = resolveActivation(fn, act);
  return 1 / normalExpectation((x) => a.f(x) ** 2, 0, 1, a.kinks);
}

/**
 * He/Kaiming variance g²/n_in with the activation's gain g ({@link activationGain}); 2/n_in for relu.
 *
 * @param fanIn - n_in ≥ 1.
 * @param act - Activation name or object (default 'relu').
 * @returns The weight variance.
 * @throws InvalidArgumentError when fanIn is not a positive integer or the activation is unknown.
 * @example
 * ```ts
 * import { heVariance } from '@gflow/core';
 * heVariance(512); // 2/512
 * heVariance(512, 'tanh'); // (25/9)/512
 * ```
 * @see He, Zhang, Ren & Sun (2015), "Delving Deep into Rectifiers".
 */
export function heVariance(fanIn: number, act: ActivationInput = 'relu'): number {
  requireInteger('heVariance', 'fanIn', fanIn, 1);
  return gainSquared('heVariance', act, undefined) / fanIn;
}

/**
 * LeCun variance 1/n_in (the SELU self-normalizing initialization).
 *
 * @param fanIn - n_in ≥ 1.
 * @returns 1/n_in.
 * @throws InvalidArgumentError when fanIn is not a positive integer.
 * @example
 * ```ts
 * import { lecunVariance } from '@gflow/core';
 * lecunVariance(100); // 0.01
 * ```
 * @see LeCun, Bottou, Orr & Müller (1998), "Efficient BackProp"; Klambauer et al. (2017), "Self-Normalizing Neural Networks".
 */
export function lecunVariance(fanIn: number): number {
  requireInteger('lecunVariance', 'fanIn', fanIn, 1);
  return 1 / fanIn;
}

/** Options of {@link orthogonalMatrix}. */
export interface OrthogonalMatrixOptions {
  /** Scale of the result (default 1): gain·Q. */
  readonly gain?: number;
  /** Seed (default 0). */
  readonly seed?: number;
}

/**
 * A Haar-random orthogonal matrix gain·Q: Q from the QR decomposition of an n×n standard
 * Gaussian matrix, with each column's sign fixed so that R has a positive diagonal
 * (Q ← Q·diag(sign r_ii)); without that correction Q is not Haar-distributed. All singular values equal `gain`.
 *
 * @param n - Size n ≥ 1.
 * @param options - `gain` (1), `seed` (0).
 * @returns An n×n `{ rows, cols, data: Float64Array }` row-major matrix.
 * @throws InvalidArgumentError when n is not a positive integer or gain is not positive.
 * @example
 * ```ts
 * import { orthogonalMatrix, singularValues } from '@gflow/core';
 * const Q = orthogonalMatrix(4, { seed: 1 });
 * singularValues(Q); // [1, 1, 1, 1]
 * ```
 * @see Mezzadri (2007), "How to generate random matrices from the classical compact groups";
 * Saxe, McClelland & Ganguli (2014), "Exact solutions to the nonlinear dynamics of learning in deep linear networks".
 */
export function orthogonalMatrix(n: number, options?: OrthogonalMatrixOptions): DenseMatrix {
  const fn = 'orthogonalMatrix';
  requireInteger(fn, 'n', n, 1, 10_000);
  const o = readOptions(fn, options);
  const gain = requirePositive(fn, 'options.gain', o.gain ?? 1);
  const data = haarOrthogonal(n, n, createRng(o.seed ?? 0));
  for (let i = 0; i < data.length; i++) data[i] = gain * (data[i] as number);
  return { rows: n, cols: n, data };
}
