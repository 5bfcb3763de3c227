import * as tf from '@tensorflow/tfjs';

/**
 * d aᵇ: ∂/∂a = b·a^(b−1)·dy, ∂/∂b = aᵇ·ln(a)·dy (0 where a ≤ 0), with aᵇ recomputed from the
 * saved inputs rather than taken from the saved output (see `Tanh_grad.ts` for why).
 */
export const powGradConfig: tf.GradConfig = {
  kernelName: 'Pow',
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved) => {
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    const d = dy as tf.Tensor;
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const reduceTo = (t: tf.Tensor, shape: number[]): tf.Tensor => {
      const axes = tf.backend_util.getReductionAxes(shape, outShape);
      return tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, shape);
    };
    return {
      a: () => {
        const bf = tf.cast(b, 'float32');
        return reduceTo(tf.mul(d, tf.mul(bf, tf.pow(a, tf.sub(bf, 1)))), a.shape);
      },
      b: () => {
        const positive = tf.greater(a, 0);
        const safeA = tf.where(positive, a, tf.onesLike(a));
        const logA = tf.where(positive, tf.log(safeA), tf.zerosLike(a));
        return reduceTo(tf.mul(d, tf.mul(tf.pow(a, b), logA)), b.shape);
      },
    };
  },
};
