import * as tf from '@tensorflow/tfjs';
import { type InitSpec, initialize, validateInit } from '../initializers.js';
import { BaseModule } from '../internal/base-module.js';
import { deriveSeed } from '../internal/rng.js';
import { checkInt, checkOptions, checkParameterCount, checkShape } from '../internal/validate.js';
import type { Model } from '../model.js';
import type { Context, ParameterRole } from '../module.js';

/** Options of {@link dense}. */
export interface DenseOptions {
  /** Input features (the last axis of x). */
  readonly inputSize: number;
  /** Output features. */
  readonly outputSize: number;
  /** Kernel initializer (default `'xavier'`). */
  readonly init?: InitSpec;
  /** Whether to add a bias (default true). */
  readonly bias?: boolean;
  /** Bias initializer (default `'zeros'`). */
  readonly biasInit?: InitSpec;
  /** Seed (default 0). */
  readonly seed?: number;
  /** Name, the prefix of the parameters' names (default `'dense'`). */
  readonly name?: string;
  /** Role of the kernel (default `'kernel'`); gates use `'gate'`, recurrent matrices `'recurrent'`. */
  readonly role?: ParameterRole;
}

/** @internal */
export class DenseLayer extends BaseModule {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable | undefined;

  constructor(o: DenseOptions, fn = 'dense') {
    const inputSize = checkInt(fn, 'options.inputSize', o.inputSize);
    const outputSize = checkInt(fn, 'options.outputSize', o.outputSize);
    checkParameterCount(fn, (inputSize + 1) * outputSize);
    const init = o.init ?? 'xavier';
    const biasInit = o.biasInit ?? 'zeros';
    validateInit(init, fn, 'options.init');
    validateInit(biasInit, fn, 'options.biasInit');
    super(o.name ?? 'dense');
    this.inputSize = inputSize;
    this.outputSize = outputSize;
    const seed = o.seed ?? 0;
    const kName = `${this.name}.kernel`;
    this.kernel = this.addParam(
      kName,
      initialize(init, [inputSize, outputSize], { seed: deriveSeed(seed, kName) }),
      [inputSize, outputSize],
      o.role ?? 'kernel',
    ).variable;
    if (o.bias ?? true) {
      const bName = `${this.name}.bias`;
      const role: ParameterRole = o.role === 'gate' ? 'gate' : 'bias';
      this.bias = this.addParam(
        bName,
        initialize(biasInit, [outputSize], { seed: deriveSeed(seed, bName) }),
        [outputSize],
        role,
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

  forward(x: tf.Tensor, _ctx?: Context): tf.Tensor {
    const flat = x.rank === 2 ? (x as tf.Tensor2D) : (tf.reshape(x, [-1, this.inputSize]) as tf.Tensor2D);
    let y: tf.Tensor = tf.matMul(flat, this.kernel as tf.Tensor2D);
    if (this.bias) y = tf.add(y, this.bias);
    return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), this.outputSize]);
  }
}

/**
 * A fully connected layer y = x·W + b over the last axis of x.
 *
 * @param options - Sizes, initializers, seed and name.
 * @returns The layer; parameters `<name>.kernel` ([inputSize, outputSize]) and `<name>.bias`.
 * @throws InvalidArgumentError (from `@gflow/core`) for non-positive sizes or an unknown initializer.
 * @example
 * ```ts
 * const layer = dense({ inputSize: 4, outputSize: 2, init: 'he', seed: 1 });
 * const y = layer.apply(tf.ones([3, 4])); // [3, 2]
 * ```
 */
export function dense(options: DenseOptions): Model {
  checkOptions('dense', options);
  return new DenseLayer(options);
}
