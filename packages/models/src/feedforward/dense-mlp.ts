import * as tf from '@tensorflow/tfjs';
import type { ResolvedActivation } from '../activations.js';
import { BaseModule } from '../internal/base-module.js';
import { resolveCommon } from '../internal/feedforward-options.js';
import { makeNorm } from '../internal/norm.js';
import { checkInt, checkShape } from '../internal/validate.js';
import { DenseLayer } from '../layers/dense.js';
import type { Model } from '../model.js';
import type { Context } from '../module.js';
import type { MLPOptions } from './options.js';

class DenseMLP extends BaseModule {
  private readonly blocks: { dense: DenseLayer; norm: BaseModule | undefined }[] = [];
  private readonly readout: DenseLayer | undefined;
  private readonly act: ResolvedActivation;
  private readonly inputSize: number;

  constructor(o: MLPOptions) {
    const fn = 'denseMLP';
    const c = resolveCommon(fn, o, { activation: 'relu', init: 'he' });
    const width = checkInt(fn, 'options.width', o.width);
    const inputSize = checkInt(fn, 'options.inputSize', o.inputSize);
    super(fn);
    this.act = c.activation;
    this.inputSize = inputSize;
    for (let i = 0; i < c.depth; i++) {
      const dense = this.addChild(
        new DenseLayer({
          inputSize: inputSize + i * width,
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
              inputSize: inputSize + c.depth * width,
              outputSize: c.outputSize,
              seed: c.seed,
              name: 'readout',
            }),
          );
  }

  checkInput(x: tf.Tensor): void {
    checkShape('denseMLP.apply', 'x', x, [null, this.inputSize]);
  }

  forward(x: tf.Tensor, ctx: Context): tf.Tensor {
    let features = x;
    this.blocks.forEach((b, i) => {
      let z = b.dense.forward(features);
      if (b.norm) z = b.norm.forward(z, ctx);
      const y = ctx.tap(`blocks.${i}`, this.act.fn(z));
      features = tf.concat([features, y], 1);
    });
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
  return new DenseMLP(options);
}
