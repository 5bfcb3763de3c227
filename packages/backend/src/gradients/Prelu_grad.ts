import * as tf from '@tensorflow/tfjs';

/**
 * d prelu(x, α): ∂/∂x = dy·(x > 0 ? 1 : α), ∂/∂α = Σ dy·(x > 0 ? 0 : x) reduced to α's shape.
 */
export const preluGradConfig: tf.GradConfig = {
  kernelName: 'Prelu',
  inputsToSave: ['x', 'alpha'],
  gradFunc: (dy, saved) => {
    const [x, alpha] = saved as [tf.Tensor, tf.Tensor];
    const d = dy as tf.Tensor;
    return {
      x: () => tf.where(tf.greater(x, 0), d, tf.mul(d, alpha)),
      alpha: () => {
        let res = tf.where(tf.greater(x, 0), tf.zerosLike(d), tf.mul(d, x));
        const axes = tf.backend_util.getReductionAxes(alpha.shape, d.shape);
        if (axes.length > 0) res = tf.sum(res, axes);
        return tf.reshape(res, alpha.shape);
      },
    };
  },
};
