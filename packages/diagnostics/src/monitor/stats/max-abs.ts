import * as tf from '@tensorflow/tfjs';
import { booleanOption, type ParameterStat } from '../parameter-stat.js';
import { valueAt } from '../slots.js';

/** The ℓ∞-norm option of `GradientMonitorOptions`. */
export interface MaxAbsOptions {
  /**
   * Each parameter's largest gradient entry in magnitude, ‖g‖∞ = maxᵢ|gᵢ|
   * (`ParameterRecord.gradMaxAbs`), in the same read-back (default false). It costs one more
   * value per parameter: the maximum is already taken for the gradient's scale.
   */
  readonly maxAbs?: boolean;
}

/** The ℓ∞-norm field of `ParameterRecord`. */
export interface MaxAbsFields {
  /**
   * With the monitor's `maxAbs` option: ‖∂L/∂θ‖∞ = maxᵢ|gᵢ|, the largest gradient entry in
   * magnitude (0 for an all-zero gradient; NaN when an entry is NaN). It is the smallest
   * `clipByValue` threshold that leaves the gradient untouched, and with `gradNorm` it says how
   * concentrated the gradient is: ‖g‖∞/‖g‖₂ lies in [1/√n, 1], 1 when one entry holds it all.
   */
  readonly gradMaxAbs?: number;
}

/**
 * Monitor statistic: the gradient's ℓ∞ norm maxᵢ|gᵢ|. The maximum is the one the gradient's scale
 * m = max(max|g|, 2⁻¹²⁶) is made from (before the floor), so this adds one value to the read and
 * no reduction. Exact: a float32 maximum read back as float64.
 *
 * @see Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", §7.1 (AdaMax, the ℓ∞ norm
 *   of gradients).
 */
export const maxAbsStat: ParameterStat<MaxAbsOptions, MaxAbsFields> = {
  option: 'maxAbs',
  resolve: booleanOption(false),
  plan: ({ scaled, parts }) => valueAt(parts.add(tf.reshape(scaled().maxAbs, [1]))),
  decode: (gradMaxAbs) => ({ gradMaxAbs }),
};
