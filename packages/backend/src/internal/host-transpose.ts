import type * as tf from '@tensorflow/tfjs';
import { simdWasm } from './simd-wasm.js';
import { heapCopy, heapOffset, heapSet, hostScratch, type WasmHeapBackend } from './wasm-heap-view.js';

// Host scratch slots (see `hostScratch`; the RNN kernels use 10–16).
const S_IN = 20;
const S_OUT = 21;

/** out [cols, rows] = in [rows, cols]ᵀ, eight rows at a time (each write run is 8 adjacent floats). */
export function transpose2d(src: Float32Array, out: Float32Array, rows: number, cols: number): void {
  let r = 0;
  for (; r + 8 <= rows; r += 8) {
    for (let c = 0; c < cols; c++) {
      const o = c * rows + r;
      const f = r * cols + c;
      out[o] = src[f]!;
      out[o + 1] = src[f + cols]!;
      out[o + 2] = src[f + 2 * cols]!;
      out[o + 3] = src[f + 3 * cols]!;
      out[o + 4] = src[f + 4 * cols]!;
      out[o + 5] = src[f + 5 * cols]!;
      out[o + 6] = src[f + 6 * cols]!;
      out[o + 7] = src[f + 7 * cols]!;
    }
  }
  for (; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c]!;
  }
}

/**
 * A fresh float32 heap tensor [cols, rows] holding the transpose of the 2-D float32 heap tensor
 * `x` [rows, cols]: by gflow's wasm SIMD module in place on the heap where it runs, else in
 * JavaScript on an ordinary host copy (tfjs-wasm's `Transpose` kernel took about 5 ms for
 * [8192, 128]; see BENCHMARKS.md, "The fused tanh RNN"). The caller owns the result.
 */
export function hostTransposed(heap: WasmHeapBackend, x: tf.TensorInfo): tf.TensorInfo {
  const [rows, cols] = x.shape as [number, number];
  const simd = simdWasm(heap);
  if (simd !== undefined) {
    const t = heap.makeOutput([cols, rows], 'float32');
    simd.transpose2d(heapOffset(heap, x), heapOffset(heap, t), rows, cols);
    return t;
  }
  const src = heapCopy(heap, heapOffset(heap, x) / 4, rows * cols, S_IN);
  const out = hostScratch(S_OUT, rows * cols);
  transpose2d(src, out, rows, cols);
  const t = heap.makeOutput([cols, rows], 'float32');
  heapSet(heap, out, heapOffset(heap, t) / 4);
  return t;
}
