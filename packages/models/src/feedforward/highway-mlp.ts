import * as tf from '@tensorflow/tfjs';
import type { ResolvedActivation } from '../activations.js';
import { BaseModule } from '../internal/base-module.js';
import { resolveCommon } from '../internal/feedforward-options.js';
import { makeDense, makeNorm } from '../internal/norm.js';
import {
  checkInt,
  checkNumber,
  checkOptions,
  checkParameterCount,
  checkShape,
} from '../internal/validate.js';
import { DenseLayer } from '../layers/dense.js';
import type { Model } from '../model.js';
import type { Context } from '../module.js';
import type { MLPOptions } from './options.js';

/** Options of {@link highwayMLP}. */
export interface HighwayMLPOptions extends MLPOptions {
  /** Initial bias of the transform gate T (default −2, so that blocks start by carrying). */
  readonly gateBias?: number;
}

interface Block {
  readonly transform: BaseModule;
  readonly gate: DenseLayer;
  readonly norm: BaseModule | undefined;
}

class HighwayMLP extends BaseModule {
  private readonly stem: BaseModule;
  private readonly blocks: Block[] = [];
  private readonly readout: DenseLayer | undefined;
  private readonly act: ResolvedActivation;
  private readonly inputSize: number;

  constructor(o: HighwayMLPOptions) {
    const fn = 'highwayMLP';
    const c = resolveCommon(fn, o, { activation: 'relu', init: 'he' });
    const width = checkInt(fn, 'options.width', o.width);
    const inputSize = checkInt(fn, 'options.inputSize', o.inputSize);
    // stem, then a transform and a gate per layer, then the readout
    checkParameterCount(
      fn,
      (inputSize + 1) * width + 2 * c.depth * (width + 1) * width + (width + 1) * (c.outputSize ?? 0),
    );
    const gateBias = checkNumber(fn, 'options.gateBias', o.gateBias ?? -2);
    super(fn);
    this.act = c.activation;
    this.inputSize = inputSize;
    const bias = o.bias ?? true;
    this.stem = this.addChild(
      makeDense(c.norm, { inputSize, outputSize: width, init: c.init, bias, seed: c.seed, name: 'stem' }),
    );
    for (let i = 0; i < c.depth; i++) {
      const transform = this.addChild(
        makeDense(c.norm, {
          inputSize: width,
          outputSize: width,
          init: c.init,
          bias,
          seed: c.seed,
          name: `blocks.${i}.transform`,
        }),
      );
      const gate = this.addChild(
        new DenseLayer({
          inputSize: width,
          outputSize: width,
          init: 'xavier',
          biasInit: { name: 'constant', value: gateBias },
          seed: c.seed,
          name: `blocks.${i}.gate`,
          role: 'gate',
        }),
      );
      const norm = makeNorm(c.norm, width, `blocks.${i}.norm`);
      if (norm) this.addChild(norm);
      this.blocks.push({ transform, gate, norm });
    }
    this.readout =
      c.outputSize === undefined
        ? undefined
        : this.addChild(
            new DenseLayer({ inputSize: width, outputSize: c.outputSize, seed: c.seed, name: 'readout' }),
          );
  }

  checkInput(x: tf.Tensor): void {
    checkShape('highwayMLP.apply', 'x', x, [null, this.inputSize]);
  }

  forward(x: tf.Tensor, ctx: Context): tf.Tensor {
    let h = this.act.fn(this.stem.forward(x, ctx));
    this.blocks.forEach((b, i) => {
      let z = b.transform.forward(h, ctx);
      if (b.norm) z = b.norm.forward(z, ctx);
      const H = this.act.fn(z);
      const T = tf.sigmoid(b.gate.forward(h));
      // y = T⊙H + (1 − T)⊙x = x + T⊙(H − x)
      h = ctx.tap(`blocks.${i}`, tf.add(h, tf.mul(T, tf.sub(H, h))));
    });
    return this.readout ? this.readout.forward(h) : h;
  }
}

/**
 * A highway network (Srivastava et al. 2015): a stem φ(W₀x) to `width`, then blocks
 * y = T⊙H + (1 − T)⊙x with H = φ(norm(W_H x + b_H)), T = σ(W_T x + b_T) and carry 1 − T; b_T starts
 * at `gateBias` (−2) so that information is carried at initialization.
 *
 * Taps `blocks.<i>`; parameters `stem.*`, `blocks.<i>.transform.*` (kernel/bias),
 * `blocks.<i>.gate.kernel|bias` (role `'gate'`), `blocks.<i>.norm.*`, `readout.*`.
 *
 * @param options - See {@link HighwayMLPOptions}.
 * @returns The model; input [batch, inputSize].
 * @throws InvalidArgumentError (from `@gflow/core`) for a depth or width of 0 or unknown names,
 *   before any tensor is allocated.
 * @example
 * ```ts
 * const net = highwayMLP({ depth: 50, width: 32, inputSize: 8, gateBias: -3 });
 * ```
 * @see Srivastava, Greff and Schmidhuber 2015, "Training Very Deep Networks".
 */
export function highwayMLP(options: HighwayMLPOptions): Model {
  checkOptions('highwayMLP', options);
  return new HighwayMLP(options);
}
