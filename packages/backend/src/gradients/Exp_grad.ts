import * as tf from '@tensorflow/tfjs';

/** d exp(x) = exp(x)·dy, recomputed from the saved input (see `Tanh_grad.ts` for why). */
export const expGradConfig: tf.GradConfig = {
  kernelName: 'Exp',
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as [tf.Tensor];
    return { x: () => tf.mul(dy as tf.Tensor, tf.exp(x)) };
  },
};
