import type * as tf from '@tensorflow/tfjs';
import { MLPStack } from '../internal/mlp-stack.js';
import { checkOptions } from '../internal/validate.js';
import type { Model } from '../model.js';
import type { Context } from '../module.js';
import type { MLPOptions } from './options.js';

class PlainMLP extends MLPStack {
  constructor(o: MLPOptions) {
    super('plainMLP', o, (i, inputSize, width) => (i === 0 ? inputSize : width));
  }

  forward(x: tf.Tensor, ctx: Context): tf.Tensor {
    let h = x;
    for (let i = 0; i < this.blocks.length; i++) h = this.block(i, h, ctx);
    return this.readout ? this.readout.forward(h) : h;
  }
}

/**
 * A plain fully connected stack, h_{l+1} = φ(norm(W_l h_l + b_l)): the network of the
 * vanishing-gradient story, where ‖∂L/∂h_0‖ shrinks or grows geometrically with depth.
 *
 * Taps `blocks.<i>`; parameters `blocks.<i>.dense.kernel|bias`, `blocks.<i>.norm.gamma|beta`,
 * `readout.kernel|bias`.
 *
 * @param options - See {@link MLPOptions}.
 * @returns The model; input [batch, inputSize], output [batch, outputSize ?? width].
 * @throws InvalidArgumentError (from `@gflow/core`) for a depth or width of 0, an unknown activation,
 *   initializer or norm, before any tensor is allocated; ShapeError from `apply` on a mismatched input.
 * @example
 * ```ts
 * const net = plainMLP({ depth: 20, width: 64, inputSize: 10, activation: 'tanh', init: 'xavier', seed: 1 });
 * const y = net.apply(tf.randomNormal([8, 10]));
 * ```
 * @see Glorot and Bengio 2010, "Understanding the difficulty of training deep feedforward neural networks".
 */
export function plainMLP(options: MLPOptions): Model {
  checkOptions('plainMLP', options);
  return new PlainMLP(options);
}
