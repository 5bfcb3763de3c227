import * as tf from '@tensorflow/tfjs';

/** d σ(x) = σ(x)(1 − σ(x))·dy, recomputed from the saved input (see `Tanh_grad.ts` for why). */
export const sigmoidGradConfig: tf.GradConfig = {
  kernelName: 'Sigmoid',
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as [tf.Tensor];
    return {
      x: () => {
        const s = tf.sigmoid(x);
        return tf.mul(dy as tf.Tensor, tf.mul(s, tf.sub(1, s)));
      },
    };
  },
};
