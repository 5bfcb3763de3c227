import * as tf from '@tensorflow/tfjs';
import { BaseModule } from '../internal/base-module.js';
import { batchNormTrain } from '../internal/batch-norm-train.js';
import {
  checkInt,
  checkNumber,
  checkOptions,
  checkParameterCount,
  checkShape,
} from '../internal/validate.js';
import type { Model } from '../model.js';
import type { Context } from '../module.js';

/** Options of {@link batchNorm}. */
export interface BatchNormOptions {
  /** Features (the last axis: channels of NHWC, features of [batch, features]). */
  readonly size: number;
  /** Running-average momentum m: running ← m·running + (1−m)·batch (default 0.9). */
  readonly momentum?: number;
  /** ε added to the variance (default 1e-5). */
  readonly epsilon?: number;
  /** Name (default `'norm'`). */
  readonly name?: string;
}

/** @internal */
export class BatchNormLayer extends BaseModule {
  readonly size: number;
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  /** Running mean (inference statistics; not trainable). */
  readonly runningMean: tf.Variable;
  /** Running variance (inference statistics; not trainable). */
  readonly runningVariance: tf.Variable;
  private readonly momentum: number;
  private readonly epsilon: number;

  constructor(o: BatchNormOptions, fn = 'batchNorm') {
    const size = checkInt(fn, 'options.size', o.size);
    checkParameterCount(fn, 4 * size);
    const momentum = checkNumber(fn, 'options.momentum', o.momentum ?? 0.9, 0, 1);
    const epsilon = checkNumber(fn, 'options.epsilon', o.epsilon ?? 1e-5, 0);
    super(o.name ?? 'norm');
    this.size = size;
    this.momentum = momentum;
    this.epsilon = epsilon;
    this.gamma = this.addParam(`${this.name}.gamma`, new Float32Array(size).fill(1), [size], 'norm').variable;
    this.beta = this.addParam(`${this.name}.beta`, new Float32Array(size), [size], 'norm').variable;
    this.runningMean = tf.tidy(() => tf.variable(tf.zeros([size]), false));
    this.runningVariance = tf.tidy(() => tf.variable(tf.ones([size]), false));
  }

  checkInput(x: tf.Tensor): void {
    if (x.rank < 2 || x.shape[x.rank - 1] !== this.size)
      checkShape(`${this.name}.apply`, 'x', x, [null, this.size]);
  }

  forward(x: tf.Tensor, ctx: Context): tf.Tensor {
    if (!ctx.training) {
      return tf.batchNorm(x, this.runningMean, this.runningVariance, this.beta, this.gamma, this.epsilon);
    }
    const count = x.size / this.size;
    const m = this.momentum;
    // The running averages are updated inside the op's forward pass: tfjs records nothing there,
    // so these small ops add no tape nodes and save no tensors for the backward pass.
    return batchNormTrain(x, this.gamma, this.beta, this.epsilon, (mean, variance) => {
      const unbiased = count > 1 ? tf.mul(variance, count / (count - 1)) : variance;
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, m), tf.mul(mean, 1 - m)));
      this.runningVariance.assign(tf.add(tf.mul(this.runningVariance, m), tf.mul(unbiased, 1 - m)));
    });
  }

  protected override onDispose(): void {
    this.runningMean.dispose();
    this.runningVariance.dispose();
  }
}

/**
 * Batch normalization (Ioffe and Szegedy 2015): y = γ·(x − μ)/√(σ² + ε) + β over every axis but the
 * last. In training mode μ, σ² are the batch's and the running averages are updated; in inference
 * mode the running averages are used.
 *
 * @param options - Feature count, momentum, ε and name.
 * @returns The layer; parameters `<name>.gamma` and `<name>.beta` (role `'norm'`).
 * @throws InvalidArgumentError (from `@gflow/core`) for a non-positive size or a momentum outside [0, 1].
 * @example
 * ```ts
 * const bn = batchNorm({ size: 8 });
 * const y = bn.apply(x, { training: true, tap: (_n, t) => t });
 * ```
 * @see Ioffe and Szegedy 2015, "Batch Normalization".
 */
export function batchNorm(options: BatchNormOptions): Model {
  checkOptions('batchNorm', options);
  return new BatchNormLayer(options);
}
