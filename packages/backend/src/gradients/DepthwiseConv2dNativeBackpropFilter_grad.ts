import * as tf from '@tensorflow/tfjs';
import { type DepthwiseBackpropAttrs, depthwiseBackpropInput } from '../internal/kernel-ops.js';

/**
 * Gradient of `dW = DepthwiseConv2dNativeBackpropFilter(x, dy)` (bilinear):
 * ∂/∂x = DepthwiseConv2dNativeBackpropInput(dy, g), ∂/∂dy = depthwiseConv2d(x, g). tfjs 4.22
 * defines none. Called with dilation 1 (see `DepthwiseConv2dNative_grad.ts`).
 */
export const depthwiseConv2dNativeBackpropFilterGradConfig: tf.GradConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  inputsToSave: ['x', 'dy'],
  gradFunc: (ddw, saved, attrs) => {
    const [x, dy] = saved as [tf.Tensor4D, tf.Tensor4D];
    const { strides, pad, dilations, dimRoundingMode } = attrs as unknown as DepthwiseBackpropAttrs;
    const g = ddw as tf.Tensor4D;
    return {
      x: () => depthwiseBackpropInput(x.shape, dy, g, { strides, pad, dilations, dimRoundingMode }),
      dy: () =>
        tf.depthwiseConv2d(x, g, strides, pad as 'valid' | 'same', 'NHWC', dilations, dimRoundingMode),
    };
  },
};
