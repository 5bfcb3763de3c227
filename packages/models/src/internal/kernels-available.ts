import * as tf from '@tensorflow/tfjs';

/** Whether the engine in use has every one of these kernels registered (a fused op's forward and gradient). */
export function kernelsAvailable(...kernelNames: readonly string[]): boolean {
  const backend = tf.getBackend();
  return kernelNames.every((k) => tf.getKernel(k, backend) !== undefined);
}
