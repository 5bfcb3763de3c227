import type * as tf from '@tensorflow/tfjs';
import { type ActivationSpec, type ResolvedActivation, resolveActivation } from '../activations.js';
import { BaseModule } from '../internal/base-module.js';
import type { Model } from '../model.js';
import type { Context } from '../module.js';

/** @internal */
export class ActivationLayer extends BaseModule {
  private readonly act: ResolvedActivation;

  constructor(spec: ActivationSpec, fn = 'activationLayer') {
    const act = resolveActivation(spec, fn);
    super(act.name);
    this.act = act;
  }

  checkInput(_x: tf.Tensor): void {}

  forward(x: tf.Tensor, _ctx?: Context): tf.Tensor {
    return this.act.fn(x);
  }
}

/**
 * An elementwise activation as a module (no parameters), for {@link sequential} stacks.
 *
 * @param activation - The activation (any name of `@gflow/core`'s registry).
 * @returns The layer.
 * @throws InvalidArgumentError (from `@gflow/core`) for an unknown name.
 * @example
 * ```ts
 * const net = sequential(dense({ inputSize: 4, outputSize: 8 }), activationLayer('gelu'));
 * ```
 */
export function activationLayer(activation: ActivationSpec): Model {
  return new ActivationLayer(activation);
}
