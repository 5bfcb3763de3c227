import * as tf from '@tensorflow/tfjs';
import { type DepthwiseBackpropAttrs, depthwiseBackpropFilter } from '../internal/kernel-ops.js';

/**
 * Gradient of `dx = DepthwiseConv2dNativeBackpropInput(dy, W)` (bilinear):
 * ∂/∂dy = depthwiseConv2d(g, W), ∂/∂W = DepthwiseConv2dNativeBackpropFilter(g, dy). tfjs 4.22
 * defines none. Called with dilation 1 (see `DepthwiseConv2dNative_grad.ts`).
 */
export const depthwiseConv2dNativeBackpropInputGradConfig: tf.GradConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  inputsToSave: ['dy', 'filter'],
  gradFunc: (ddx, saved, attrs) => {
    const [dy, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const { strides, pad, dilations, dimRoundingMode } = attrs as unknown as DepthwiseBackpropAttrs;
    const g = ddx as tf.Tensor4D;
    return {
      dy: () =>
        tf.depthwiseConv2d(g, filter, strides, pad as 'valid' | 'same', 'NHWC', dilations, dimRoundingMode),
      filter: () =>
        depthwiseBackpropFilter(g, dy, filter.shape, { strides, pad, dilations, dimRoundingMode }),
    };
  },
};
