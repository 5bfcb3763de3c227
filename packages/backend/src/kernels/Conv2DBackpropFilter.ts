import * as tf from '@tensorflow/tfjs';
import { simdWasm } from '../internal/simd-wasm.js';
import { asWasmHeap } from '../internal/wasm-heap-view.js';
import { KernelScratch } from '../internal/wasm-scratch.js';
import { hasWinogradFunctions, winogradFilterGradient, winogradFits } from '../internal/winograd.js';
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
 * channels, a shape XNNPACK tiles poorly (about twice the time of the forward convolution). A 3×3
 * one whose channel counts are multiples of 4 runs by Winograd F(2×2, 3×3) in gflow's SIMD module
 * where the full module runs (see {@link winogradFilterGrad}).
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
        if (kh === 3 && kw === 3) {
          const dw = winogradFilterGrad(backend, x, dy, { top, left, oh, ow, K: filterShape[3] });
          if (dw !== undefined) return dw;
        }
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

/**
 * dW of a 3×3 stride-1 convolution by Winograd F(2×2, 3×3) in gflow's SIMD module: with
 * y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A per 2×2 output tile (the wasm `Conv2D`'s algorithm),
 * ∂L/∂g = Gᵀ[Σ_tiles (Bᵀ d B) ⊙ (A dY Aᵀ)]G: 16 products [C, tiles]·[tiles, K] where the tap
 * matmuls make 9 of [C, N·H·W]·[N·H·W, K] (with about N·H·W/4 tiles, 16/36 of the
 * multiplications), and no padded copy or transposition of x. The tiles are summed in four fixed
 * chunks, shared with the SIMD helper thread where it runs.
 * undefined where it does not apply (channels not a multiple of 4, no full module) or where an
 * element is not finite by Winograd (an infinity turns into NaN through the transforms): the tap
 * matmuls then compute it directly.
 */
function winogradFilterGrad(
  backend: tf.KernelBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  o: { top: number; left: number; oh: number; ow: number; K: number },
): tf.TensorInfo | undefined {
  const heap = asWasmHeap(backend);
  const simd = simdWasm(heap);
  const [N, H, W, C] = x.shape as [number, number, number, number];
  const g = { N, H, W, C, K: o.K, Ho: o.oh, Wo: o.ow, top: o.top, left: o.left };
  if (!hasWinogradFunctions(simd) || dy.dtype !== 'float32' || !winogradFits(g)) return undefined;
  return winogradFilterGradient(heap, simd, x, dy, g);
}
