import * as tf from '@tensorflow/tfjs';
import { type ConvBackpropAttrs, conv2dBackpropFilter } from '../internal/kernel-ops.js';

/**
 * Gradient of `dx = Conv2DBackpropInput(dy, W)` (the transposed convolution), bilinear:
 * ∂/∂dy = conv2d(g, W), ∂/∂W = Conv2DBackpropFilter(g, dy). Same formulas as tfjs 4.22's config,
 * registered here so that its `Conv2DBackpropFilter` resolves to our differentiable path.
 */
export const conv2DBackpropInputGradConfig: tf.GradConfig = {
  kernelName: 'Conv2DBackpropInput',
  inputsToSave: ['dy', 'filter'],
  gradFunc: (ddx, saved, attrs) => {
    const [dy, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const { strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as ConvBackpropAttrs;
    const g = ddx as tf.Tensor4D;
    return {
      dy: () => tf.conv2d(g, filter, strides, pad as 'valid' | 'same', dataFormat, 1, dimRoundingMode),
      filter: () => conv2dBackpropFilter(g, dy, filter.shape, { strides, pad, dataFormat, dimRoundingMode }),
    };
  },
};
