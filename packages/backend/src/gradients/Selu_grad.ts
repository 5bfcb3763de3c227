import * as tf from '@tensorflow/tfjs';

/** SELU's constants, as tfjs-core's `selu_util` defines them. */
const SCALE = 1.0507009873554805;
const SCALE_ALPHA = 1.7580993408473768;

/**
 * d selu(x) = dy·(x > 0 ? λ : λα·exp(min(x, 0))). The `min(x, 0)` keeps the unused branch finite,
 * so that a second backprop through `where` does not multiply a zero by an infinite `exp(x)`.
 * tfjs's own config builds its mask with `greater`, which had no gradient.
 */
export const seluGradConfig: tf.GradConfig = {
  kernelName: 'Selu',
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as [tf.Tensor];
    return {
      x: () => {
        const positive = tf.greater(x, 0);
        const negativeSlope = tf.mul(SCALE_ALPHA, tf.exp(tf.minimum(x, 0)));
        return tf.mul(dy as tf.Tensor, tf.where(positive, tf.fill(x.shape, SCALE), negativeSlope));
      },
    };
  },
};
