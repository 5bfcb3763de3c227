import * as tf from '@tensorflow/tfjs';
import { type ConvBackpropAttrs, conv2dBackpropInput } from '../internal/kernel-ops.js';

/**
 * Gradient of `dW = Conv2DBackpropFilter(x, dy)`, which is bilinear: ⟨g, dW⟩ = ⟨dy, conv2d(x, g)⟩, so
 * ∂/∂x = Conv2DBackpropInput(dy, g) and ∂/∂dy = conv2d(x, g). tfjs 4.22 defines none, so any
 * Hessian-vector product through a convolution's filter fails without it.
 */
export const conv2DBackpropFilterGradConfig: tf.GradConfig = {
  kernelName: 'Conv2DBackpropFilter',
  inputsToSave: ['x', 'dy'],
  gradFunc: (ddw, saved, attrs) => {
    const [x, dy] = saved as [tf.Tensor4D, tf.Tensor4D];
    const { strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as ConvBackpropAttrs;
    const g = ddw as tf.Tensor4D;
    return {
      x: () => conv2dBackpropInput(x.shape, dy, g, { strides, pad, dataFormat, dimRoundingMode }),
      dy: () => tf.conv2d(x, g, strides, pad as 'valid' | 'same', dataFormat, 1, dimRoundingMode),
    };
  },
};
