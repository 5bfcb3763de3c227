import * as tf from '@tensorflow/tfjs';
import { simdWasm } from '../internal/simd-wasm.js';
import { asWasmHeap } from '../internal/wasm-heap-view.js';
import {
  hasWinogradFunctions,
  type WinogradGeometry,
  winogradConvolve,
  winogradFits,
} from '../internal/winograd.js';

/**
 * A wasm `Conv2D` that runs 3×3 stride-1 convolutions by Winograd F(2×2, 3×3) in gflow's SIMD
 * module (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016):
 * y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A per 2×2 output tile, 16 multiplications per tile and channel pair
 * where a direct convolution makes 36. XNNPACK's direct convolution already runs at the engine's
 * matmul rate, so only fewer multiplications could make it faster (BENCHMARKS.md, "Convolutions
 * against the engine's peak"). The tiles are shared with gflow's SIMD helper thread where it runs.
 *
 * Every other convolution, and every one on an engine without the full module (16 KB; a browser
 * whose main thread compiles at most 4 KB of wasm synchronously, as Chrome did before it raised
 * the limit to 8 MB, gets it from `initBackend` asynchronously, so only a kernel run before that
 * lacks it), goes to tfjs's own kernel: other filter sizes, strides or dilations, channel counts
 * not a multiple of 4, NCHW. So does one whose output is not finite by Winograd (an infinity in x or w gives NaN through the
 * transforms' differences where a direct sum gives ±∞): it is redone directly.
 *
 * Accuracy: the transforms add and subtract up to 16 inputs (and halve the filter's), so each
 * output carries a few more roundings than a direct sum, and since every output of a 2×2 tile is
 * made from the tile's whole 4×4 input patch, its error scales with Σ|x|·|w| over the terms of all
 * four outputs of its tile; the tests bound it by 2⁻²¹ times that sum against float64 sums.
 *
 * The input gradient's fill (`Conv2DBackpropInput`) runs through this kernel too: for stride 1 it
 * is a forward convolution of dy with flip(W)ᵀ.
 *
 * @param stock - tfjs's own wasm `Conv2D` config (its `setupFunc` is kept).
 */
export function conv2DWasmConfig(stock: tf.KernelConfig): tf.KernelConfig {
  const stockFunc = stock.kernelFunc;
  return {
    kernelName: 'Conv2D',
    backendName: 'wasm',
    ...(stock.setupFunc !== undefined ? { setupFunc: stock.setupFunc } : {}),
    kernelFunc: (args) => winogradConv2D(args) ?? stockFunc(args),
  };
}

/** Whether {@link winogradConv2D} runs on this engine (the full SIMD module is there). */
export function hasWinograd(backend: tf.KernelBackend): boolean {
  return hasWinogradFunctions(simdWasm(asWasmHeap(backend)));
}

/** y by Winograd F(2×2, 3×3), or undefined where it does not apply (see {@link conv2DWasmConfig}). */
function winogradConv2D(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo | undefined {
  const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = args.attrs as unknown as {
    strides: number | [number, number];
    pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
    dataFormat?: 'NHWC' | 'NCHW';
    dilations?: number | [number, number];
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  if (dataFormat === 'NCHW' || x.dtype !== 'float32' || filter.dtype !== 'float32') return undefined;
  if (x.shape.length !== 4 || filter.shape.length !== 4) return undefined;
  const [fh, fw, C, K] = filter.shape as [number, number, number, number];
  const one = (v: number | [number, number] | undefined): boolean =>
    v === undefined || (typeof v === 'number' ? v === 1 : v[0] === 1 && v[1] === 1);
  if (fh !== 3 || fw !== 3 || !one(strides) || !one(dilations)) return undefined;
  const heap = asWasmHeap(args.backend);
  const simd = simdWasm(heap);
  if (!hasWinogradFunctions(simd)) return undefined;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const g: WinogradGeometry = {
    N: info.batchSize,
    H: info.inHeight,
    W: info.inWidth,
    C,
    K,
    Ho: info.outHeight,
    Wo: info.outWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
  if (!winogradFits(g)) return undefined; // channels not a multiple of 4, or empty
  return winogradConvolve(heap, simd, x, filter, g);
}
