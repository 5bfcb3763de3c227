import { InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { prefixContext } from './internal/base-module.js';
import { checkModule } from './internal/validate.js';
import type { Model } from './model.js';
import { type Context, identityContext, type Module, type Parameter } from './module.js';

class SequentialModel implements Model {
  readonly name = 'sequential';
  private readonly modules: readonly Module[];
  private readonly params: readonly Parameter[];

  constructor(modules: readonly Module[]) {
    this.modules = modules;
    this.params = modules.flatMap((m, i) =>
      m.parameters().map((p) => ({ name: `blocks.${i}.${p.name}`, variable: p.variable, role: p.role })),
    );
  }

  parameters(): readonly Parameter[] {
    return this.params;
  }

  apply(x: tf.Tensor, ctx?: Context): tf.Tensor {
    const c = ctx ?? identityContext(false);
    return tf.tidy(() => {
      let h = x;
      for (let i = 0; i < this.modules.length; i++) {
        const m = this.modules[i] as Module;
        h = c.tap(`blocks.${i}`, m.apply(h, prefixContext(c, `blocks.${i}.`)));
      }
      return h === x ? tf.clone(x) : h;
    });
  }

  dispose(): void {
    for (const m of this.modules) (m as Partial<Model>).dispose?.();
  }
}

/**
 * Chains modules: y = f_{n−1}(… f_1(f_0(x))). The output of module i is tapped as `blocks.<i>`,
 * its own taps appear under `blocks.<i>.`, and its parameters are renamed `blocks.<i>.<name>`.
 * `dispose()` disposes the children that have a `dispose` method.
 *
 * @param modules - One or more modules, applied in order.
 * @returns The chained module.
 * @throws InvalidArgumentError (from `@gflow/core`) when no module is given.
 * @example
 * ```ts
 * const net = sequential(
 *   dense({ inputSize: 4, outputSize: 16, name: 'fc1' }),
 *   activationLayer('tanh'),
 *   dense({ inputSize: 16, outputSize: 1, name: 'fc2' }),
 * );
 * net.parameters().map((p) => p.name); // ['blocks.0.fc1.kernel', 'blocks.0.fc1.bias', ...]
 * ```
 */
export function sequential(...modules: readonly Module[]): Model {
  if (modules.length === 0) {
    throw new InvalidArgumentError('sequential: modules must be at least one module, got none');
  }
  modules.forEach((m, i) => {
    checkModule('sequential', `modules[${i}]`, m);
  });
  return new SequentialModel(modules);
}
