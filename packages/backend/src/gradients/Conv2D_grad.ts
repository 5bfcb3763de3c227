import type * as tf from '@tensorflow/tfjs';
import { dilateFilter, undilateFilter } from '../internal/dilate-filter.js';
import {
  type ConvBackpropAttrs,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  pair,
} from '../internal/kernel-ops.js';

/**
 * d conv2d(x, W): ∂/∂x = Conv2DBackpropInput(dy, W), ∂/∂W = Conv2DBackpropFilter(x, dy).
 * Unlike tfjs 4.22's config it also handles dilation > 1, by differentiating the equivalent
 * dilation-1 convolution with a zero-stuffed filter (`internal/dilate-filter.ts`).
 */
export const conv2DGradConfig: tf.GradConfig = {
  kernelName: 'Conv2D',
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs as unknown as ConvBackpropAttrs & {
      dilations?: number | [number, number];
    };
    const [dh, dw] = pair(dilations ?? 1);
    const conv: ConvBackpropAttrs = { strides, pad, dataFormat, dimRoundingMode };
    const [kh, kw, ci, co] = filter.shape;
    const d = dy as tf.Tensor4D;
    return {
      x: () => conv2dBackpropInput(x.shape, d, dilateFilter(filter, dh, dw), conv),
      filter: () => {
        const shape = [(kh - 1) * dh + 1, (kw - 1) * dw + 1, ci, co];
        return undilateFilter(conv2dBackpropFilter(x, d, shape, conv), kh, kw, dh, dw);
      },
    };
  },
};
