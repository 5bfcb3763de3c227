import type * as tf from '@tensorflow/tfjs';
import type { ResolvedActivation } from '../activations.js';
import type { MLPOptions } from '../feedforward/options.js';
import { DenseLayer } from '../layers/dense.js';
import type { Context } from '../module.js';
import { BaseModule } from './base-module.js';
import { resolveCommon } from './feedforward-options.js';
import { makeDense, makeNorm } from './norm.js';
import { checkInt, checkParameterCount, checkShape } from './validate.js';

/**
 * The shared construction of the fully connected stacks of blocks φ(norm(W_i a_i + b_i)): block i
 * reads `blockInputSize(i)` features, the readout reads `blockInputSize(depth)`; subclasses say what
 * a_i is in `forward`.
 */
export abstract class MLPStack extends BaseModule {
  protected readonly blocks: { dense: BaseModule; norm: BaseModule | undefined }[] = [];
  protected readonly readout: DenseLayer | undefined;
  protected readonly act: ResolvedActivation;
  private readonly inputSize: number;

  constructor(
    fn: string,
    o: MLPOptions,
    blockInputSize: (i: number, inputSize: number, width: number) => number,
  ) {
    const c = resolveCommon(fn, o, { activation: 'relu', init: 'he' });
    const width = checkInt(fn, 'options.width', o.width);
    const inputSize = checkInt(fn, 'options.inputSize', o.inputSize);
    // a dense block per layer; block inputs are affine in i for i ≥ 1 (width, or inputSize + i·width
    // for dense connections), so their sum over i = 1…depth−1 is exact by the trapezoid rule
    const first = blockInputSize(0, inputSize, width);
    const rest =
      c.depth > 1
        ? ((c.depth - 1) *
            (blockInputSize(1, inputSize, width) + blockInputSize(c.depth - 1, inputSize, width))) /
          2
        : 0;
    // kernels and biases of the blocks, then the readout: exact without norms (a norm adds a few
    // vectors of length width per block, so the estimate is then a close lower bound)
    checkParameterCount(
      fn,
      width * (first + rest) +
        ((o.bias ?? true) ? c.depth * width : 0) +
        (blockInputSize(c.depth, inputSize, width) + 1) * (c.outputSize ?? 0),
    );
    super(fn);
    this.act = c.activation;
    this.inputSize = inputSize;
    for (let i = 0; i < c.depth; i++) {
      const dense = this.addChild(
        makeDense(c.norm, {
          inputSize: blockInputSize(i, inputSize, width),
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
              inputSize: blockInputSize(c.depth, inputSize, width),
              outputSize: c.outputSize,
              init: 'xavier',
              seed: c.seed,
              name: 'readout',
            }),
          );
  }

  checkInput(x: tf.Tensor): void {
    checkShape(`${this.name}.apply`, 'x', x, [null, this.inputSize]);
  }

  /** Block i on its input a: the tapped `blocks.<i>` output φ(norm(W_i a + b_i)). */
  protected block(i: number, a: tf.Tensor, ctx: Context): tf.Tensor {
    const b = this.blocks[i] as { dense: BaseModule; norm: BaseModule | undefined };
    let z = b.dense.forward(a, ctx);
    if (b.norm) z = b.norm.forward(z, ctx);
    return ctx.tap(`blocks.${i}`, this.act.fn(z));
  }
}
