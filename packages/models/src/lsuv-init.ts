import { describeValue, InvalidArgumentError, NonFiniteError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import {
  checkFiniteValues,
  checkInt,
  checkModule,
  checkNumber,
  checkOptions,
  checkTensor,
} from './internal/validate.js';
import type { Context, Module } from './module.js';

/** Options of {@link lsuvInit}. */
export interface LsuvOptions {
  /** Stop when |Var − 1| < tolerance (default 0.1, as in the paper). */
  readonly tolerance?: number;
  /** At most this many rescalings per layer (default 10). */
  readonly maxIterations?: number;
  /** Which taps are "layers" (default `/^blocks\.\d+$/`, the feedforward block outputs). */
  readonly taps?: RegExp;
}

/** What {@link lsuvInit} did to one layer. */
export interface LsuvStep {
  /** The tap whose output variance was normalized. */
  readonly tap: string;
  /** The kernels rescaled (parameters named `<tap>.…` with role `'kernel'`). */
  readonly kernels: readonly string[];
  /** The output variance after the last rescaling. */
  readonly variance: number;
  /** Rescalings done. */
  readonly iterations: number;
}

/**
 * Layer-sequential unit-variance initialization (Mishkin and Matas 2016): after an orthogonal
 * pre-initialization, go through the layers in order and divide each layer's kernels by √Var(output)
 * on a data batch until the output variance is 1 within `tolerance`. A "layer" is a tap matching
 * `options.taps` and its kernels the parameters whose names start with `<tap>.` and have role
 * `'kernel'` (a block with m kernels has each scaled by Var^{−1/(2m)}). Runs in inference mode.
 * Mutates the module's variables. Unlike the paper, which normalizes each layer's pre-activation,
 * this normalizes the tapped block output (after the nonlinearity), the point gflow observes; with a
 * bounded activation such as tanh (|φ| < 1) unit variance is unreachable and the loop stops after
 * `maxIterations`, with the variance reached in the record.
 *
 * @param module - The model (typically built with `init: 'lsuv'`, i.e. orthogonal).
 * @param inputs - A representative batch.
 * @param options - Tolerance, iteration cap and tap pattern.
 * @returns One record per normalized layer, in order.
 * @throws InvalidArgumentError (from `@gflow/core`) for a non-positive tolerance or iteration cap, a
 *   module that is not a Module, or inputs that are not a live float32 tensor; NonFiniteError when
 *   the inputs or the module's weights have a NaN or ±Infinity entry, or a measured variance is
 *   not finite (the weights are then restored).
 * @example
 * ```ts
 * const net = plainMLP({ depth: 20, width: 64, inputSize: 10, init: 'lsuv', activation: 'tanh' });
 * const steps = lsuvInit(net, tf.randomNormal([256, 10], 0, 1, 'float32', 1));
 * ```
 * @see Mishkin and Matas 2016, "All you need is a good init".
 */
export function lsuvInit(module: Module, inputs: tf.Tensor, options: LsuvOptions = {}): LsuvStep[] {
  const fn = 'lsuvInit';
  checkModule(fn, 'module', module);
  checkTensor(fn, 'inputs', inputs, { dtype: 'float32' });
  checkOptions(fn, options, true);
  if (options.taps !== undefined && !(options.taps instanceof RegExp)) {
    throw new InvalidArgumentError(
      `${fn}: options.taps must be a RegExp, got ${describeValue(options.taps)}`,
    );
  }
  checkFiniteValues(fn, 'inputs', inputs.dataSync());
  for (const p of module.parameters()) checkFiniteValues(fn, `parameter ${p.name}`, p.variable.dataSync());
  const tol = checkNumber(fn, 'options.tolerance', options.tolerance ?? 0.1, Number.MIN_VALUE);
  const maxIter = checkInt(fn, 'options.maxIterations', options.maxIterations ?? 10);
  const pattern = options.taps ?? /^blocks\.\d+$/;
  const order: string[] = [];
  tf.tidy(() => {
    module.apply(inputs, {
      training: false,
      tap: (name, t) => {
        if (pattern.test(name) && !order.includes(name)) order.push(name);
        return t;
      },
    });
  });
  const params = module.parameters();
  const out: LsuvStep[] = [];
  for (const tap of order) {
    const kernels = params.filter((p) => p.role === 'kernel' && p.name.startsWith(`${tap}.`));
    if (kernels.length === 0) continue;
    const measure = (): number =>
      tf.tidy(() => {
        let v = Number.NaN;
        const ctx: Context = {
          training: false,
          tap: (name, t) => {
            if (name === tap) v = tf.moments(t).variance.dataSync()[0] as number;
            return t;
          },
        };
        module.apply(inputs, ctx);
        return v;
      });
    let variance = measure();
    const saved = kernels.map((k) => tf.clone(k.variable));
    let it = 0;
    while (it < maxIter && Number.isFinite(variance) && variance > 0 && Math.abs(variance - 1) >= tol) {
      const s = variance ** (-1 / (2 * kernels.length));
      for (const k of kernels) tf.tidy(() => k.variable.assign(tf.mul(k.variable, s)));
      variance = measure();
      it++;
    }
    if (!Number.isFinite(variance)) {
      // put this tap's kernels back as they were, so that no NaN weight is left behind
      kernels.forEach((k, i) => {
        k.variable.assign(saved[i] as tf.Tensor);
      });
      for (const t of saved) t.dispose();
      throw new NonFiniteError(
        `${fn}: the output variance at tap ${JSON.stringify(tap)} is ${variance} after ${it} rescalings; ` +
          'the network overflows on these inputs (its kernels at this tap are left as they were)',
      );
    }
    for (const t of saved) t.dispose();
    out.push({ tap, kernels: kernels.map((k) => k.name), variance, iterations: it });
  }
  return out;
}
