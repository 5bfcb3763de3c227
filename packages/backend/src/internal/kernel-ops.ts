import * as tf from '@tensorflow/tfjs';

/**
 * Thin, differentiable wrappers around kernels that tfjs 4.22 runs but does not export as ops.
 * Each call goes through `tf.engine().runKernel`, so it is recorded on the gradient tape and its
 * registered gradient applies (which is what second-order gradients need).
 */

/** Attributes shared by the 2-D convolution backprop kernels. */
export interface ConvBackpropAttrs {
  readonly strides: [number, number] | number;
  readonly pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  readonly dataFormat: 'NHWC' | 'NCHW';
  readonly dimRoundingMode?: 'floor' | 'round' | 'ceil' | undefined;
}

function run(name: string, inputs: tf.NamedTensorMap, attrs: object): tf.Tensor {
  return tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
}

/** dx of a conv2d: `Conv2DBackpropInput(dy, filter)` with the forward input's shape. */
export function conv2dBackpropInput(
  inputShape: readonly number[],
  dy: tf.Tensor,
  filter: tf.Tensor,
  attrs: ConvBackpropAttrs,
): tf.Tensor4D {
  return run('Conv2DBackpropInput', { dy, filter }, { ...attrs, inputShape: [...inputShape] }) as tf.Tensor4D;
}

/** dW of a conv2d: `Conv2DBackpropFilter(x, dy)` with the filter's shape. */
export function conv2dBackpropFilter(
  x: tf.Tensor,
  dy: tf.Tensor,
  filterShape: readonly number[],
  attrs: ConvBackpropAttrs,
): tf.Tensor4D {
  return run('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: [...filterShape] }) as tf.Tensor4D;
}

/** Attributes of the depthwise backprop kernels. */
export interface DepthwiseBackpropAttrs {
  readonly strides: [number, number] | number;
  readonly pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  readonly dilations: [number, number] | number;
  readonly dimRoundingMode?: 'floor' | 'round' | 'ceil' | undefined;
}

/** dx of a depthwise conv2d. */
export function depthwiseBackpropInput(
  inputShape: readonly number[],
  dy: tf.Tensor,
  filter: tf.Tensor,
  attrs: DepthwiseBackpropAttrs,
): tf.Tensor4D {
  return run(
    'DepthwiseConv2dNativeBackpropInput',
    { dy, filter },
    { ...attrs, inputShape: [...inputShape] },
  ) as tf.Tensor4D;
}

/** dW of a depthwise conv2d. */
export function depthwiseBackpropFilter(
  x: tf.Tensor,
  dy: tf.Tensor,
  filterShape: readonly number[],
  attrs: DepthwiseBackpropAttrs,
): tf.Tensor4D {
  return run(
    'DepthwiseConv2dNativeBackpropFilter',
    { x, dy },
    { ...attrs, filterShape: [...filterShape] },
  ) as tf.Tensor4D;
}

/** The ELU backprop kernel: `dy` where `y ≥ 0`, else `dy·(y + 1)`. */
export function eluGrad(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  return run('EluGrad', { dy, y }, {});
}

/** `[a, b]` from a number or a pair. */
export function pair(v: number | readonly number[]): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0] ?? 1, v[1] ?? v[0] ?? 1];
}
