import * as tf from '@tensorflow/tfjs';
import { BaseModule } from '../internal/base-module.js';
import { checkNumber, checkOptions } from '../internal/validate.js';
import type { Model } from '../model.js';
import type { Context } from '../module.js';

/** Options of {@link dropout}. */
export interface DropoutOptions {
  /** Drop probability p in [0, 1). */
  readonly rate: number;
  /** Seed of the first mask; call k uses seed + k, so runs are reproducible (default 0). */
  readonly seed?: number;
  /** Name (default `'dropout'`). */
  readonly name?: string;
}

/** @internal */
export class DropoutLayer extends BaseModule {
  private readonly rate: number;
  private readonly seed: number;
  private calls = 0;

  constructor(o: DropoutOptions, fn = 'dropout') {
    const rate = checkNumber(fn, 'options.rate', o.rate, 0, 0.999999);
    const seed = checkNumber(fn, 'options.seed', o.seed ?? 0);
    super(o.name ?? 'dropout');
    this.rate = rate;
    this.seed = seed;
  }

  checkInput(_x: tf.Tensor): void {}

  forward(x: tf.Tensor, ctx: Context): tf.Tensor {
    if (!ctx.training || this.rate === 0) return x;
    const seed = this.seed + this.calls++;
    return tf.dropout(x, this.rate, undefined, seed);
  }
}

/**
 * Inverted dropout (Srivastava et al. 2014): in training mode each element is zeroed with
 * probability p and the rest scaled by 1/(1−p); the identity in inference mode. Seeded.
 *
 * @param options - Rate, seed and name.
 * @returns The layer (no parameters).
 * @throws InvalidArgumentError (from `@gflow/core`) for a rate outside [0, 1).
 * @example
 * ```ts
 * const d = dropout({ rate: 0.1, seed: 3 });
 * const y = d.apply(x, { training: true, tap: (_n, t) => t });
 * ```
 * @see Srivastava et al. 2014, "Dropout".
 */
export function dropout(options: DropoutOptions): Model {
  checkOptions('dropout', options);
  return new DropoutLayer(options);
}
