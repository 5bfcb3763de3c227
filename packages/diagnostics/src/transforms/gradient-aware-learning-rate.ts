import { InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { globalNorm, scaleAll } from '../internal/norms.js';
import { checkAgainstSpec, checkNonNegative, specOf, type TensorSpec } from '../internal/validate.js';
import type { GradientTransform } from './transform.js';

/** State of {@link gradientAwareLearningRate}: the names and shapes it was initialised with. */
export interface GradientAwareLearningRateState {
  /** Parameter shapes by name. */
  readonly spec: TensorSpec;
}

/**
 * Rescales the step so that the global gradient norm seen by the optimizer stays within the band
 * from ε_min to ε_max, g ← g · clamp(‖g‖, ε_min, ε_max) / ‖g‖, an effective learning rate
 * η_eff = η · clamp(‖g‖, ε_min, ε_max) / ‖g‖.
 *
 * Small gradients (a plateau, the first steps of a deep plain net) are scaled up to ε_min and
 * large ones down to ε_max, so neither stalls nor explodes; in between nothing changes. A zero
 * gradient stays zero. For plain SGD this is exactly a learning-rate schedule driven by the
 * gradient norm; scale-invariant optimizers (Adam) are little affected by it.
 *
 * Info: `gradientAwareLearningRate.norm` (before) and `gradientAwareLearningRate.factor`.
 *
 * @param minNorm - ε_min > 0.
 * @param maxNorm - ε_max ≥ ε_min.
 * @returns A gradient transform.
 * @throws InvalidArgumentError (from `@gflow/core`) when ε_min ≤ 0 or ε_max < ε_min; ShapeError when
 *   names or shapes differ from `init`'s.
 * @example
 * ```ts
 * const t = gradientAwareLearningRate(1e-3, 1);
 * const { grads } = t.update(rawGrads, t.init(weights));
 * ```
 * @see Pascanu, Mikolov & Bengio 2013 (rescaling the step by the gradient norm); You, Gitman &
 *   Ginsburg 2017, "Large Batch Training of Convolutional Networks" (LARS, norm-aware rates).
 */
export function gradientAwareLearningRate(
  minNorm: number,
  maxNorm: number,
): GradientTransform<GradientAwareLearningRateState> {
  checkNonNegative('gradientAwareLearningRate', 'minNorm', minNorm, true);
  checkNonNegative('gradientAwareLearningRate', 'maxNorm', maxNorm, true);
  if (maxNorm < minNorm) {
    throw new InvalidArgumentError(
      `gradientAwareLearningRate: maxNorm must be ≥ minNorm (${minNorm}), got ${maxNorm}`,
    );
  }
  return {
    name: 'gradientAwareLearningRate',
    init: (params) => ({ spec: specOf('gradientAwareLearningRate', params) }),
    update(grads, state) {
      checkAgainstSpec('gradientAwareLearningRate', 'grads', grads, state.spec);
      const norm = globalNorm(grads);
      const factor = tf.tidy(
        () =>
          tf.where(
            tf.equal(norm, 0),
            tf.scalar(1),
            tf.div(tf.clipByValue(norm, minNorm, maxNorm), norm),
          ) as tf.Scalar,
      );
      const out = scaleAll(grads, factor);
      return {
        grads: out,
        state,
        info: { 'gradientAwareLearningRate.norm': norm, 'gradientAwareLearningRate.factor': factor },
      };
    },
    dispose: () => {},
  };
}
