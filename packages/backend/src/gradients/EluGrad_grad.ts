import * as tf from '@tensorflow/tfjs';

/**
 * Gradient of the ELU backprop kernel `EluGrad(dy, y) = y ≥ 0 ? dy : dy·(y + 1)`:
 * ∂/∂dy = (y ≥ 0 ? 1 : y + 1), ∂/∂y = (y ≥ 0 ? 0 : dy). tfjs defines none, so the second
 * derivative of elu fails without it.
 */
export const eluGradGradConfig: tf.GradConfig = {
  kernelName: 'EluGrad',
  inputsToSave: ['dy', 'y'],
  gradFunc: (ddx, saved) => {
    const [dy, y] = saved as [tf.Tensor, tf.Tensor];
    const g = ddx as tf.Tensor;
    return {
      dy: () => {
        const nonNegative = tf.greaterEqual(y, 0);
        return tf.mul(g, tf.where(nonNegative, tf.onesLike(y), tf.add(y, 1)));
      },
      y: () => {
        const nonNegative = tf.greaterEqual(y, 0);
        return tf.where(nonNegative, tf.zerosLike(y), tf.mul(g, dy));
      },
    };
  },
};
