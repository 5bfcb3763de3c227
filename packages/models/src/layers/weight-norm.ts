import { InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { type InitSpec, initialize, validateInit } from '../initializers.js';
import { BaseModule } from '../internal/base-module.js';
import { columnNorm } from '../internal/column-norm.js';
import { deriveSeed } from '../internal/rng.js';
import { checkInt, checkOptions, checkParameterCount, checkShape } from '../internal/validate.js';
import type { Model } from '../model.js';
import type { Context } from '../module.js';

/** Options of {@link weightNorm}. */
export interface WeightNormOptions {
  /** Input features (the last axis of x). */
  readonly inputSize: number;
  /** Output features (units; one g and one direction v_{:,j} each). */
  readonly outputSize: number;
  /**
   * Initializer of the direction v (default `'xavier'`); v starts with the values {@link dense}'s
   * kernel of the same seed and name would have, and g at ‖v_{:,j}‖, so w starts equal to v.
   */
  readonly init?: InitSpec;
  /** Whether to add a bias (default true). */
  readonly bias?: boolean;
  /** Bias initializer (default `'zeros'`). */
  readonly biasInit?: InitSpec;
  /** Seed (default 0). */
  readonly seed?: number;
  /** Name, the prefix of the parameters' names (default `'dense'`). */
  readonly name?: string;
}

/** @internal */
export class WeightNormDenseLayer extends BaseModule {
  readonly inputSize: number;
  readonly outputSize: number;
  /** Direction v, [inputSize, outputSize]. */
  readonly v: tf.Variable;
  /** Scale g, [outputSize]. */
  readonly g: tf.Variable;
  readonly bias: tf.Variable | undefined;

  constructor(o: WeightNormOptions, fn = 'weightNorm') {
    const inputSize = checkInt(fn, 'options.inputSize', o.inputSize);
    const outputSize = checkInt(fn, 'options.outputSize', o.outputSize);
    checkParameterCount(fn, (inputSize + 2) * outputSize);
    const init = o.init ?? 'xavier';
    const biasInit = o.biasInit ?? 'zeros';
    validateInit(init, fn, 'options.init');
    validateInit(biasInit, fn, 'options.biasInit');
    const name = o.name ?? 'dense';
    const seed = o.seed ?? 0;
    const vName = `${name}.v`;
    // v draws the values `dense` with this seed and name draws for its kernel, so that a
    // weight-normalized network starts as the same function as the plain one.
    const v = initialize(init, [inputSize, outputSize], { seed: deriveSeed(seed, `${name}.kernel`) });
    // g_j = ‖v_{:,j}‖ in float64 (scaled by the column's largest entry), so that w = v at the start.
    const g = new Float32Array(outputSize);
    for (let j = 0; j < outputSize; j++) {
      let s = 0;
      for (let i = 0; i < inputSize; i++) s = Math.max(s, Math.abs(v[i * outputSize + j] as number));
      let sum = 0;
      if (s > 0) for (let i = 0; i < inputSize; i++) sum += ((v[i * outputSize + j] as number) / s) ** 2;
      const norm = s * Math.sqrt(sum);
      if (!(norm > 0) || !Number.isFinite(norm)) {
        throw new InvalidArgumentError(
          `${fn}: options.init must give every column of v a finite non-zero norm (w = g·v/‖v‖), got ‖v_{:,${j}}‖ = ${norm}`,
        );
      }
      g[j] = norm;
    }
    super(name);
    this.inputSize = inputSize;
    this.outputSize = outputSize;
    this.v = this.addParam(vName, v, [inputSize, outputSize], 'kernel').variable;
    this.g = this.addParam(`${name}.g`, g, [outputSize], 'norm').variable;
    if (o.bias ?? true) {
      const bName = `${name}.bias`;
      this.bias = this.addParam(
        bName,
        initialize(biasInit, [outputSize], { seed: deriveSeed(seed, bName) }),
        [outputSize],
        'bias',
      ).variable;
    } else {
      this.bias = undefined;
    }
  }

  checkInput(x: tf.Tensor): void {
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.inputSize) {
      checkShape(`${this.name}.apply`, 'x', x, [null, this.inputSize]);
    }
  }

  /** w = v·diag(g/‖v_{:,j}‖). */
  kernel(): tf.Tensor2D {
    const v = this.v as tf.Tensor2D;
    return tf.mul(v, tf.div(this.g, columnNorm(v)));
  }

  forward(x: tf.Tensor, _ctx?: Context): tf.Tensor {
    const flat = x.rank === 2 ? (x as tf.Tensor2D) : (tf.reshape(x, [-1, this.inputSize]) as tf.Tensor2D);
    let y: tf.Tensor = tf.matMul(flat, this.kernel());
    if (this.bias) y = tf.add(y, this.bias);
    return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), this.outputSize]);
  }
}

/**
 * A fully connected layer with weight normalization (Salimans and Kingma 2016): each output unit's
 * weight vector is w_{:,j} = g_j·v_{:,j}/‖v_{:,j}‖, and y = x·w + b. The length g_j and the
 * direction v_{:,j} are separate parameters, so the gradient in v is the gradient in w scaled by
 * g/‖v‖ and projected off v, ∇_v L = (g/‖v‖)(I − w wᵀ/‖w‖²)∇_w L, which keeps ‖v‖ from shrinking
 * and makes the step size in w independent of the scale of v. ‖v‖ is computed scaled by the largest
 * |v_ij| (no float32 overflow or underflow), and the layer is built from differentiable ops, so
 * second derivatives (Hessian-vector products) go through it exactly.
 *
 * @param options - Sizes, the direction's initializer, bias, seed and name.
 * @returns The layer; parameters `<name>.v` ([inputSize, outputSize], role `'kernel'`), `<name>.g`
 *   ([outputSize], role `'norm'`, starting at ‖v_{:,j}‖ so that w starts equal to v) and
 *   `<name>.bias`.
 * @throws InvalidArgumentError (from `@gflow/core`) for non-positive sizes, an unknown initializer,
 *   or an initializer that leaves a column of v at zero (the direction would be undefined);
 *   ShapeError from `apply` on a mismatched input.
 * @example
 * ```ts
 * const layer = weightNorm({ inputSize: 4, outputSize: 2, seed: 1 });
 * const y = layer.apply(tf.ones([3, 4])); // [3, 2]
 * ```
 * @see Salimans and Kingma 2016, "Weight Normalization: A Simple Reparameterization to Accelerate
 *   Training of Deep Neural Networks".
 */
export function weightNorm(options: WeightNormOptions): Model {
  checkOptions('weightNorm', options);
  return new WeightNormDenseLayer(options);
}
