import * as tf from '@tensorflow/tfjs';

/**
 * d tanh(x) = (1 − tanh²(x))·dy, recomputed from the saved input. tfjs's own config reuses the
 * saved forward output, a clone taped before the Tanh node, so a second backprop loses the
 * dependence of that output on x and returns a wrong Hessian.
 */
export const tanhGradConfig: tf.GradConfig = {
  kernelName: 'Tanh',
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as [tf.Tensor];
    return { x: () => tf.mul(dy as tf.Tensor, tf.sub(1, tf.square(tf.tanh(x)))) };
  },
};
