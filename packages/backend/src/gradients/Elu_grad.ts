import * as tf from '@tensorflow/tfjs';
import { eluGrad } from '../internal/kernel-ops.js';

/**
 * d elu(x) = EluGrad(dy, elu(x)), with elu(x) recomputed from the saved input so that the
 * `EluGrad` node stays connected to x (its own gradient is in `EluGrad_grad.ts`).
 */
export const eluGradConfig: tf.GradConfig = {
  kernelName: 'Elu',
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as [tf.Tensor];
    return { x: () => eluGrad(dy as tf.Tensor, tf.elu(x)) };
  },
};
