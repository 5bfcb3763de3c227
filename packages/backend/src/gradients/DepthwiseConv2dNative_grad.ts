import type * as tf from '@tensorflow/tfjs';
import { dilateFilter, undilateFilter } from '../internal/dilate-filter.js';
import {
  type DepthwiseBackpropAttrs,
  depthwiseBackpropFilter,
  depthwiseBackpropInput,
  pair,
} from '../internal/kernel-ops.js';

/**
 * d depthwiseConv2d(x, W): ∂/∂x and ∂/∂W through the depthwise backprop kernels. Dilation > 1 is
 * handled with a zero-stuffed filter (tfjs 4.22 rejects it, and its cpu backprop kernels ignore
 * the dilation attribute).
 */
export const depthwiseConv2dNativeGradConfig: tf.GradConfig = {
  kernelName: 'DepthwiseConv2dNative',
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const { strides, pad, dilations, dimRoundingMode } = attrs as unknown as DepthwiseBackpropAttrs;
    const [dh, dw] = pair(dilations ?? 1);
    const a: DepthwiseBackpropAttrs = { strides, pad, dilations: [1, 1], dimRoundingMode };
    const [kh, kw, ci, cm] = filter.shape;
    const d = dy as tf.Tensor4D;
    return {
      x: () => depthwiseBackpropInput(x.shape, d, dilateFilter(filter, dh, dw), a),
      filter: () => {
        const shape = [(kh - 1) * dh + 1, (kw - 1) * dw + 1, ci, cm];
        return undilateFilter(depthwiseBackpropFilter(x, d, shape, a), kh, kw, dh, dw);
      },
    };
  },
};
