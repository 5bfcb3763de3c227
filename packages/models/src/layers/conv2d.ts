import * as tf from '@tensorflow/tfjs';
import { type InitSpec, initialize, validateInit } from '../initializers.js';
import { BaseModule } from '../internal/base-module.js';
import { deriveSeed } from '../internal/rng.js';
import { checkInt, checkOneOf, checkOptions, checkParameterCount, checkShape } from '../internal/validate.js';
import type { Model } from '../model.js';
import type { Context } from '../module.js';

/** Options of {@link conv2d}. */
export interface Conv2dOptions {
  /** Input channels (last axis of the NHWC input). */
  readonly inputChannels: number;
  /** Output channels (filters). */
  readonly outputChannels: number;
  /** Square kernel size (default 3). */
  readonly kernelSize?: number;
  /** Stride (default 1). */
  readonly stride?: number;
  /** Padding (default `'same'`). */
  readonly padding?: 'same' | 'valid';
  /** Kernel initializer (default `'he'`). */
  readonly init?: InitSpec;
  /** Whether to add a bias (default true). */
  readonly bias?: boolean;
  /** Seed (default 0). */
  readonly seed?: number;
  /** Name, the prefix of the parameters' names (default `'conv'`). */
  readonly name?: string;
}

/** @internal */
export class Conv2dLayer extends BaseModule {
  readonly inputChannels: number;
  readonly outputChannels: number;
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable | undefined;
  private readonly stride: number;
  private readonly padding: 'same' | 'valid';

  constructor(o: Conv2dOptions, fn = 'conv2d') {
    const cin = checkInt(fn, 'options.inputChannels', o.inputChannels);
    const cout = checkInt(fn, 'options.outputChannels', o.outputChannels);
    const k = checkInt(fn, 'options.kernelSize', o.kernelSize ?? 3);
    checkParameterCount(fn, k * k * cin * cout + cout);
    const stride = checkInt(fn, 'options.stride', o.stride ?? 1);
    const padding = checkOneOf(fn, 'options.padding', o.padding ?? 'same', ['same', 'valid']);
    const init = o.init ?? 'he';
    validateInit(init, fn, 'options.init');
    super(o.name ?? 'conv');
    this.inputChannels = cin;
    this.outputChannels = cout;
    this.stride = stride;
    this.padding = padding;
    const seed = o.seed ?? 0;
    const kName = `${this.name}.kernel`;
    this.kernel = this.addParam(
      kName,
      initialize(init, [k, k, cin, cout], { seed: deriveSeed(seed, kName) }),
      [k, k, cin, cout],
      'kernel',
    ).variable;
    this.bias =
      (o.bias ?? true)
        ? this.addParam(`${this.name}.bias`, new Float32Array(cout), [cout], 'bias').variable
        : undefined;
  }

  checkInput(x: tf.Tensor): void {
    checkShape(`${this.name}.apply`, 'x', x, [null, null, null, this.inputChannels]);
  }

  forward(x: tf.Tensor, _ctx?: Context): tf.Tensor {
    let y: tf.Tensor = tf.conv2d(x as tf.Tensor4D, this.kernel as tf.Tensor4D, this.stride, this.padding);
    if (this.bias) y = tf.add(y, this.bias);
    return y;
  }
}

/**
 * A 2-D convolution over NHWC inputs, y = x ⋆ K + b.
 *
 * @param options - Channels, kernel size, stride, padding, initializer, seed and name.
 * @returns The layer; parameters `<name>.kernel` ([k, k, in, out]) and `<name>.bias`.
 * @throws InvalidArgumentError (from `@gflow/core`) for invalid sizes or an unknown initializer.
 * @example
 * ```ts
 * const layer = conv2d({ inputChannels: 3, outputChannels: 8, kernelSize: 3 });
 * const y = layer.apply(tf.ones([2, 8, 8, 3])); // [2, 8, 8, 8]
 * ```
 */
export function conv2d(options: Conv2dOptions): Model {
  checkOptions('conv2d', options);
  return new Conv2dLayer(options);
}
