import * as tf from '@tensorflow/tfjs';
import { MLPStack } from '../internal/mlp-stack.js';
import { checkOptions } from '../internal/validate.js';
import type { Model } from '../model.js';
import type { Context } from '../module.js';
import type { MLPOptions } from './options.js';

class DenseMLP extends MLPStack {
  constructor(o: MLPOptions) {
    super('denseMLP', o, (i, inputSize, width) => inputSize + i * width);
  }

  forward(x: tf.Tensor, ctx: Context): tf.Tensor {
    let features = x;
    for (let i = 0; i < this.blocks.length; i++) {
      features = tf.concat([features, this.block(i, features, ctx)], 1);
    }
    return this.readout ? this.readout.forward(features) : features;
  }
}

/**
 * A densely connected (DenseNet-style) fully connected stack: block l sees the concatenation of the
 * input and every earlier block's output, y_l = φ(norm(W_l [x, y_0, …, y_{l−1}])), so every block has
 * a direct path to the loss (Huang et al. 2017). `width` is the growth rate.
 *
 * Taps `blocks.<i>` (the new features y_i); parameters `blocks.<i>.dense.*`, `blocks.<i>.norm.*`,
 * `readout.*` (reading all features).
 *
 * @param options - See {@link MLPOptions}.
 * @returns The model; input [batch, inputSize]; output [batch, outputSize ?? inputSize + depth·width].
 * @throws InvalidArgumentError (from `@gflow/core`) for a depth or width of 0 or unknown names.
 * @example
 * ```ts
 * const net = denseMLP({ depth: 8, width: 8, inputSize: 4, outputSize: 1 });
 * ```
 * @see Huang et al. 2017, "Densely Connected Convolutional Networks".
 */
export function denseMLP(options: MLPOptions): Model {
  checkOptions('denseMLP', options);
  return new DenseMLP(options);
}
