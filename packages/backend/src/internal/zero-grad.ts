import type * as tf from '@tensorflow/tfjs';
import { zerosLike } from '@tensorflow/tfjs';

/**
 * A gradient config for a kernel whose output is piecewise constant in its inputs (comparisons,
 * logical ops): the derivative is zero almost everywhere. TensorFlow declares these
 * `NotDifferentiable`; tfjs 4.22 declares nothing, so any double backprop through a mask built
 * with them (maximum, leakyRelu, prelu, selu, max) fails with "gradient function not found".
 */
export function zeroGradConfig(kernelName: string, inputNames: readonly string[]): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: [...inputNames],
    gradFunc: (_dy, saved) => {
      const grads: Record<string, () => tf.Tensor> = {};
      inputNames.forEach((name, i) => {
        const input = saved[i]!;
        grads[name] = () => zerosLike(input).cast('float32');
      });
      return grads;
    },
  };
}
