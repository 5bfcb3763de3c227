import * as tf from '@tensorflow/tfjs';
import { KernelScratch } from '../internal/wasm-scratch.js';
import { filterGradByTapMatmuls } from './conv2d-filter-tap-matmuls.js';

/**
 * `Conv2DBackpropFilter` for a backend with a fast forward `Conv2D`: wasm has no
 * `Conv2DBackpropFilter` in tfjs 4.22, and cpu's is an element-by-element loop about 40 times
 * slower than its own forward conv2d at 64 channels.
 *
 * dW[i, j, c, o] = Σ_{b, p, q} x[b, p·s + i − top, q·s + j − left, c] · dy[b, p, q, o] is itself a
 * convolution: take the input channels as the batch and the batch as the channels,
 * x' = xᵀ [ci, H, W, n], use the output gradient as the filter, dy' = dyᵀ [oh, ow, n, co], and
 * convolve with stride 1 and dilation s (the forward stride). The output [ci, kh, kw, co] is
 * transposed back to [kh, kw, ci, co]. On wasm that convolution runs on XNNPACK.
 *
 * On wasm a stride-1 filter gradient instead runs as one XNNPACK matmul per kernel tap over views
 * of the padded input ({@link filterGradByTapMatmuls}): the convolution above has the batch as its
 * channels, a shape XNNPACK tiles poorly (about twice the time of the forward convolution).
 */
export function conv2DBackpropFilterConfig(backendName: string): tf.KernelConfig {
  return {
    kernelName: 'Conv2DBackpropFilter',
    backendName,
    kernelFunc: ({ inputs, backend: anyBackend, attrs }) => {
      const backend = anyBackend as tf.KernelBackend;
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
        strides: number | [number, number];
        pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
        dataFormat: 'NHWC' | 'NCHW';
        dimRoundingMode?: 'floor' | 'round' | 'ceil';
        filterShape: [number, number, number, number];
      };
      if (dataFormat === 'NCHW') {
        throw new Error("gflow Conv2DBackpropFilter: dataFormat 'NCHW' is not supported; use 'NHWC'");
      }
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        filterShape,
        strides,
        1,
        pad,
        dimRoundingMode,
      );
      const {
        inHeight,
        inWidth,
        filterHeight: kh,
        filterWidth: kw,
        strideHeight: sh,
        strideWidth: sw,
      } = info;
      const { outHeight: oh, outWidth: ow } = info;
      const top = info.padInfo.top;
      const left = info.padInfo.left;
      // Output height of the equivalent convolution must be kh: H + top + bottom − (oh − 1)·s = kh.
      const bottom = kh + (oh - 1) * sh - inHeight - top;
      const right = kw + (ow - 1) * sw - inWidth - left;
      const s = new KernelScratch(backend, backendName);
      if (backendName === 'wasm' && sh === 1 && sw === 1 && x.dtype === 'float32') {
        return filterGradByTapMatmuls(backend, s, x, dy, { kh, kw, top, left, oh, ow });
      }
      const xT = s.run('Transpose', { x }, { perm: [3, 1, 2, 0] });
      const dyT = s.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
      const xP = s.padOrCrop(xT, [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ]);
      const dw = s.run(
        'Conv2D',
        { x: xP, filter: dyT },
        { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [sh, sw] },
      );
      const out = s.run('Transpose', { x: dw }, { perm: [1, 2, 0, 3] });
      return s.finish(out);
    },
  };
}
