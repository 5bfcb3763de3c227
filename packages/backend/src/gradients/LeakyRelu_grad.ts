import * as tf from '@tensorflow/tfjs';

/** d leakyRelu(x) = dy·(x > 0 ? 1 : α); the mask's own derivative is zero (see `Greater_grad.ts`). */
export const leakyReluGradConfig: tf.GradConfig = {
  kernelName: 'LeakyRelu',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor];
    const alpha = (attrs as { alpha: number }).alpha;
    return {
      x: () => {
        const d = dy as tf.Tensor;
        return tf.where(tf.greater(x, 0), d, tf.mul(d, alpha));
      },
    };
  },
};
