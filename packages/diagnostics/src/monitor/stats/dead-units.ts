import * as tf from '@tensorflow/tfjs';
import { booleanOption, type ParameterStat } from '../parameter-stat.js';
import { valueAt } from '../slots.js';

/** The dead-unit option of `GradientMonitorOptions`. */
export interface DeadUnitsOptions {
  /** Fraction of units with an all-zero gradient, per kernel (default true). */
  readonly deadUnits?: boolean;
}

/** The dead-unit field of `ParameterRecord`. */
export interface DeadUnitsFields {
  /** Fraction of units (last axis) whose gradient is exactly zero: dead units (rank ≥ 2 only). */
  readonly deadUnitFraction?: number;
}

/**
 * Monitor statistic: the fraction of units (the last axis of a kernel, rank ≥ 2) whose gradient
 * is exactly zero. (g/m)² is zero exactly where g is (m ≥ 2⁻¹²⁶), so tiny gradients are not
 * counted as dead.
 */
export const deadUnitsStat: ParameterStat<DeadUnitsOptions, DeadUnitsFields> = {
  option: 'deadUnits',
  resolve: booleanOption(true),
  plan({ g, scaled, parts }) {
    if (g.rank < 2) return undefined;
    const axes = Array.from({ length: g.rank - 1 }, (_, i) => i);
    const zero = tf.equal(tf.sum(scaled().gs2, axes), 0);
    return valueAt(parts.add(tf.reshape(tf.mean(tf.cast(zero, 'float32')), [1])));
  },
  decode: (deadUnitFraction) => ({ deadUnitFraction }),
};
