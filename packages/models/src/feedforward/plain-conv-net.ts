import * as tf from '@tensorflow/tfjs';
import type { ResolvedActivation } from '../activations.js';
import { BaseModule } from '../internal/base-module.js';
import { convNorms, resolveCommon } from '../internal/feedforward-options.js';
import { makeNorm } from '../internal/norm.js';
import {
  checkBoolean,
  checkInt,
  checkOptions,
  checkParameterCount,
  checkShape,
} from '../internal/validate.js';
import { Conv2dLayer } from '../layers/conv2d.js';
import { DenseLayer } from '../layers/dense.js';
import type { Model } from '../model.js';
import type { Context } from '../module.js';
import type { ConvNetOptions } from './options.js';

/** Options of {@link plainConvNet}. */
export interface PlainConvNetOptions extends ConvNetOptions {
  /**
   * Convolutions per block (default 1): each is followed by its normalization and the activation,
   * and the block's output is tapped. 2 gives the plain counterpart of a residual net's blocks
   * (He et al. 2016a's plain baselines), conv → norm → φ → conv → norm → φ, without the shortcut.
   */
  readonly convsPerBlock?: number;
}

interface Stage {
  readonly conv: Conv2dLayer;
  readonly norm: BaseModule | undefined;
}

class PlainConvNet extends BaseModule {
  private readonly blocks: Stage[][] = [];
  private readonly readout: DenseLayer | undefined;
  private readonly act: ResolvedActivation;
  private readonly inputChannels: number;

  constructor(o: PlainConvNetOptions) {
    const fn = 'plainConvNet';
    const c = resolveCommon(fn, o, { activation: 'relu', init: 'he' }, convNorms);
    const channels = checkInt(fn, 'options.channels', o.channels);
    const inputChannels = checkInt(fn, 'options.inputChannels', o.inputChannels);
    const kernelSize = checkInt(fn, 'options.kernelSize', o.kernelSize ?? 3);
    const bias = checkBoolean(fn, 'options.bias', o.bias ?? true);
    const perBlock = checkInt(fn, 'options.convsPerBlock', o.convsPerBlock ?? 1);
    checkParameterCount(
      fn,
      c.depth * perBlock * kernelSize * kernelSize * Math.max(channels, inputChannels) * channels +
        (channels + 1) * (c.outputSize ?? 0),
    );
    super(fn);
    this.act = c.activation;
    this.inputChannels = inputChannels;
    for (let i = 0; i < c.depth; i++) {
      const stages: Stage[] = [];
      for (let j = 0; j < perBlock; j++) {
        // One conv per block keeps the names `blocks.<i>.conv|norm`; more are numbered from 1.
        const suffix = perBlock === 1 ? '' : String(j + 1);
        const conv = this.addChild(
          new Conv2dLayer({
            inputChannels: i === 0 && j === 0 ? inputChannels : channels,
            outputChannels: channels,
            kernelSize,
            init: c.init,
            seed: c.seed,
            bias,
            name: `blocks.${i}.conv${suffix}`,
          }),
        );
        const norm = makeNorm(c.norm, channels, `blocks.${i}.norm${suffix}`);
        if (norm) this.addChild(norm);
        stages.push({ conv, norm });
      }
      this.blocks.push(stages);
    }
    this.readout =
      c.outputSize === undefined
        ? undefined
        : this.addChild(
            new DenseLayer({
              inputSize: channels,
              outputSize: c.outputSize,
              init: 'xavier',
              seed: c.seed,
              name: 'readout',
            }),
          );
  }

  checkInput(x: tf.Tensor): void {
    checkShape('plainConvNet.apply', 'x', x, [null, null, null, this.inputChannels]);
  }

  forward(x: tf.Tensor, ctx: Context): tf.Tensor {
    let h = x;
    this.blocks.forEach((stages, i) => {
      for (const s of stages) {
        const z = s.conv.forward(h);
        h = this.act.fn(s.norm ? s.norm.forward(z, ctx) : z);
      }
      h = ctx.tap(`blocks.${i}`, h);
    });
    return this.readout ? this.readout.forward(tf.mean(h, [1, 2])) : h;
  }
}

/**
 * A plain convolutional stack, h_{l+1} = φ(norm(K_l ⋆ h_l + b_l)) ('same' padding, stride 1), with
 * an optional global-average-pool + linear readout; `convsPerBlock` such layers make one block.
 *
 * Taps `blocks.<i>` (each block's output); parameters `blocks.<i>.conv.kernel|bias` and
 * `blocks.<i>.norm.*` (`conv1`, `norm1`, `conv2`, … with several convolutions per block),
 * `readout.*`.
 *
 * @param options - See {@link PlainConvNetOptions}.
 * @returns The model; input NHWC [batch, h, w, inputChannels].
 * @throws InvalidArgumentError (from `@gflow/core`) for a depth or channel count of 0 or unknown
 *   names, before any tensor is allocated; ShapeError from `apply` on a mismatched input.
 * @example
 * ```ts
 * const net = plainConvNet({ depth: 10, channels: 8, inputChannels: 3, outputSize: 10 });
 * const logits = net.apply(tf.randomNormal([4, 16, 16, 3]));
 * ```
 * @see He et al. 2016a, "Deep Residual Learning for Image Recognition" (the plain baselines).
 */
export function plainConvNet(options: PlainConvNetOptions): Model {
  checkOptions('plainConvNet', options);
  return new PlainConvNet(options);
}
