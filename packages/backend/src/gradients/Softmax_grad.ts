import * as tf from '@tensorflow/tfjs';

/**
 * d softmax(z) = y ⊙ dy − y · Σ(y ⊙ dy) along `dim`, with y = softmax(z) recomputed from the
 * saved logits (see `Tanh_grad.ts` for why the saved output cannot be used).
 */
export const softmaxGradConfig: tf.GradConfig = {
  kernelName: 'Softmax',
  inputsToSave: ['logits'],
  gradFunc: (dy, saved, attrs) => {
    const [logits] = saved as [tf.Tensor];
    const dim = (attrs as { dim: number }).dim;
    return {
      logits: () => {
        const y = tf.softmax(logits, dim);
        const dyTimesY = tf.mul(dy as tf.Tensor, y);
        return tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y));
      },
    };
  },
};
