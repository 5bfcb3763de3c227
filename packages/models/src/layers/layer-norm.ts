import * as tf from '@tensorflow/tfjs';
import { BaseModule } from '../internal/base-module.js';
import {
  checkInt,
  checkNumber,
  checkOptions,
  checkParameterCount,
  checkShape,
} from '../internal/validate.js';
import type { Model } from '../model.js';
import type { Context } from '../module.js';

/** Options of {@link layerNorm}. */
export interface LayerNormOptions {
  /** Features (the last axis). */
  readonly size: number;
  /** ε added to the variance (default 1e-5). */
  readonly epsilon?: number;
  /** Name (default `'norm'`). */
  readonly name?: string;
}

/** @internal */
export class LayerNormLayer extends BaseModule {
  readonly size: number;
  private readonly epsilon: number;
  private readonly gamma: tf.Variable;
  private readonly beta: tf.Variable;

  constructor(o: LayerNormOptions, fn = 'layerNorm') {
    const size = checkInt(fn, 'options.size', o.size);
    checkParameterCount(fn, 4 * size);
    const epsilon = checkNumber(fn, 'options.epsilon', o.epsilon ?? 1e-5, 0);
    super(o.name ?? 'norm');
    this.size = size;
    this.epsilon = epsilon;
    this.gamma = this.addParam(`${this.name}.gamma`, new Float32Array(size).fill(1), [size], 'norm').variable;
    this.beta = this.addParam(`${this.name}.beta`, new Float32Array(size), [size], 'norm').variable;
  }

  checkInput(x: tf.Tensor): void {
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.size)
      checkShape(`${this.name}.apply`, 'x', x, [null, this.size]);
  }

  forward(x: tf.Tensor, _ctx?: Context): tf.Tensor {
    const { mean, variance } = tf.moments(x, -1, true);
    const xhat = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, this.epsilon)));
    return tf.add(tf.mul(xhat, this.gamma), this.beta);
  }
}

/**
 * Layer normalization (Ba et al. 2016): y = γ·(x − μ)/√(σ² + ε) + β with μ, σ² over the last axis
 * of each example; identical in training and inference.
 *
 * @param options - Feature count, ε and name.
 * @returns The layer; parameters `<name>.gamma` and `<name>.beta` (role `'norm'`).
 * @throws InvalidArgumentError (from `@gflow/core`) for a non-positive size.
 * @example
 * ```ts
 * const ln = layerNorm({ size: 16 });
 * const y = ln.apply(tf.randomNormal([4, 16]));
 * ```
 * @see Ba et al. 2016, "Layer Normalization".
 */
export function layerNorm(options: LayerNormOptions): Model {
  checkOptions('layerNorm', options);
  return new LayerNormLayer(options);
}
