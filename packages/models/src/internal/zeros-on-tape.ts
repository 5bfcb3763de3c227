import * as tf from '@tensorflow/tfjs';

/**
 * A float32 zero tensor of `shape` that tfjs's gradient tape counts as a function of `anchors`.
 *
 * tfjs keeps only the recorded ops that lie on a path from a watched tensor (a variable being
 * differentiated, or `x` in `tf.grad`) to the loss. A plain `tf.zeros` depends on nothing, so an
 * op applied to it, such as a tap's gradient hook on a recurrent net's initial state, is pruned
 * and never sees ∂L/∂h₀. This op takes the anchors as inputs, so it is kept whenever one of them
 * is watched, and whatever is computed from its output receives its gradient.
 *
 * Value: exactly 0. Gradient to every anchor: exactly 0, a constant, not 0·dy, so an infinite or
 * NaN dy cannot leak a NaN into the anchors' gradients, an anchor's accumulated gradient is
 * unchanged (g + 0 = g), and a gradient of the gradient (a Hessian-vector product) gains nothing.
 *
 * @param shape - Shape of the zeros.
 * @param anchors - Float32 tensors the zeros should count as depending on (here: a recurrent
 *   layer's first projected input and its parameters, everything its first step depends on).
 * @returns The zeros; the caller's to dispose (a tidy scope does it).
 * @internal
 */
export function zerosOnTape(shape: readonly number[], anchors: readonly tf.Tensor[]): tf.Tensor {
  if (anchors.length === 0) return tf.zeros([...shape], 'float32');
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const inputs = args.slice(0, anchors.length) as tf.Tensor[];
    return {
      value: tf.zeros([...shape], 'float32'),
      gradFunc: () => inputs.map((a) => tf.zeros(a.shape, 'float32')),
    };
  });
  return op(...anchors);
}
