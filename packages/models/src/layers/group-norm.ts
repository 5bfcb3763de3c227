import { InvalidArgumentError, ShapeError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { BaseModule } from '../internal/base-module.js';
import {
  checkInt,
  checkNumber,
  checkOptions,
  checkParameterCount,
  checkShape,
} from '../internal/validate.js';
import type { Model } from '../model.js';
import type { Context } from '../module.js';

/** Options of {@link groupNorm}. */
export interface GroupNormOptions {
  /** Channels C (the last axis: channels of NHWC, features of [batch, features]). */
  readonly size: number;
  /** Groups G; must divide `size` (G = 1 normalizes all channels together, G = C each alone). */
  readonly groups: number;
  /** ε added to the variance (default 1e-5). */
  readonly epsilon?: number;
  /** Name (default `'norm'`). */
  readonly name?: string;
}

/** @internal */
export class GroupNormLayer extends BaseModule {
  readonly size: number;
  readonly groups: number;
  private readonly epsilon: number;
  private readonly gamma: tf.Variable;
  private readonly beta: tf.Variable;

  constructor(o: GroupNormOptions, fn = 'groupNorm') {
    const size = checkInt(fn, 'options.size', o.size);
    checkParameterCount(fn, 4 * size);
    const groups = checkInt(fn, 'options.groups', o.groups);
    if (size % groups !== 0) {
      throw new InvalidArgumentError(
        `${fn}: options.groups must divide options.size = ${size}, got ${groups}`,
      );
    }
    const epsilon = checkNumber(fn, 'options.epsilon', o.epsilon ?? 1e-5, 0);
    super(o.name ?? 'norm');
    this.size = size;
    this.groups = groups;
    this.epsilon = epsilon;
    this.gamma = this.addParam(`${this.name}.gamma`, new Float32Array(size).fill(1), [size], 'norm').variable;
    this.beta = this.addParam(`${this.name}.beta`, new Float32Array(size), [size], 'norm').variable;
  }

  checkInput(x: tf.Tensor): void {
    if (x.rank < 2 || x.shape[x.rank - 1] !== this.size)
      checkShape(`${this.name}.apply`, 'x', x, [null, this.size]);
    if (x.shape.some((d) => d === 0)) {
      throw new ShapeError(
        `${this.name}.apply: x must have no axis of length 0, got shape [${x.shape.join(', ')}]`,
      );
    }
  }

  forward(x: tf.Tensor, _ctx?: Context): tf.Tensor {
    const n = x.shape[0] as number;
    const G = this.groups;
    // [N, S, G, C/G]: the statistics of example n and group g run over its S·C/G values.
    const xr = tf.reshape(x, [n, x.size / (n * this.size), G, this.size / G]);
    const mean = tf.mean(xr, [1, 3], true);
    const centered = tf.sub(xr, mean);
    const variance = tf.mean(tf.square(centered), [1, 3], true);
    const xhat = tf.reshape(tf.mul(centered, tf.rsqrt(tf.add(variance, this.epsilon))), x.shape);
    return tf.add(tf.mul(xhat, this.gamma), this.beta);
  }
}

/**
 * Group normalization (Wu and He 2018): the C channels are split into G groups of C/G, and each
 * example is normalized per group over the group's channels and every spatial position,
 *
 *   y_{n,s,c} = γ_c·(x_{n,s,c} − μ_{n,g})/√(σ²_{n,g} + ε) + β_c,  g = ⌊c·G/C⌋,
 *
 * with μ_{n,g}, σ²_{n,g} the mean and biased variance of {x_{n,s,c'} : every s, c' in group g}. The
 * statistics never mix examples, so training and inference compute the same thing and the batch
 * size does not matter; G = 1 is layer normalization over (spatial, channels) and G = C is instance
 * normalization. Built from differentiable tfjs ops, so second derivatives (Hessian-vector
 * products) go through it exactly.
 *
 * @param options - Channel count, groups, ε and name.
 * @returns The layer; input rank ≥ 2 with channels last; parameters `<name>.gamma` and
 *   `<name>.beta` (role `'norm'`, shape [size]).
 * @throws InvalidArgumentError (from `@gflow/core`) for a non-positive size or group count, groups
 *   not dividing size, or a negative ε; ShapeError from `apply` when the last axis is not `size` or
 *   an axis is empty.
 * @example
 * ```ts
 * const gn = groupNorm({ size: 32, groups: 8 });
 * const y = gn.apply(tf.randomNormal([2, 7, 7, 32])); // per example, per 4-channel group
 * ```
 * @see Wu and He 2018, "Group Normalization".
 */
export function groupNorm(options: GroupNormOptions): Model {
  checkOptions('groupNorm', options);
  return new GroupNormLayer(options);
}
