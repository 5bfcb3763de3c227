import type * as tf from '@tensorflow/tfjs';
import type { ResolvedActivation } from '../activations.js';
import { BaseModule } from '../internal/base-module.js';
import { resolveCommon } from '../internal/feedforward-options.js';
import { makeNorm } from '../internal/norm.js';
import { checkInt, checkShape } from '../internal/validate.js';
import { DenseLayer } from '../layers/dense.js';
import type { Model } from '../model.js';
import type { Context } from '../module.js';
import type { MLPOptions } from './options.js';

class PlainMLP extends BaseModule {
  private readonly blocks: { dense: DenseLayer; norm: BaseModule | undefined }[] = [];
  private readonly readout: DenseLayer | undefined;
  private readonly act: ResolvedActivation;
  private readonly inputSize: number;

  constructor(o: MLPOptions) {
    const fn = 'plainMLP';
    const c = resolveCommon(fn, o, { activation: 'relu', init: 'he' });
    const width = checkInt(fn, 'options.width', o.width);
    const inputSize = checkInt(fn, 'options.inputSize', o.inputSize);
    super(fn);
    this.act = c.activation;
    this.inputSize = inputSize;
    for (let i = 0; i < c.depth; i++) {
      const dense = this.addChild(
        new DenseLayer({
          inputSize: i === 0 ? inputSize : width,
          outputSize: width,
          init: c.init,
          bias: o.bias ?? true,
          seed: c.seed,
          name: `blocks.${i}.dense`,
        }),
      );
      const norm = makeNorm(c.norm, width, `blocks.${i}.norm`);
      if (norm) this.addChild(norm);
      this.blocks.push({ dense, norm });
    }
    this.readout =
      c.outputSize === undefined
        ? undefined
        : this.addChild(
            new DenseLayer({
              inputSize: width,
              outputSize: c.outputSize,
              init: 'xavier',
              seed: c.seed,
              name: 'readout',
            }),
          );
  }

  checkInput(x: tf.Tensor): void {
    checkShape('plainMLP.apply', 'x', x, [null, this.inputSize]);
  }

  forward(x: tf.Tensor, ctx: Context): tf.Tensor {
    let h = x;
    this.blocks.forEach((b, i) => {
      let z = b.dense.forward(h);
      if (b.norm) z = b.norm.forward(z, ctx);
      h = ctx.tap(`blocks.${i}`, this.act.fn(z));
    });
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
  return new PlainMLP(options);
}
