import type * as tf from '@tensorflow/tfjs';
import { simdWasm } from '../internal/simd-wasm.js';
import {
  asWasmHeap,
  heapCopy,
  heapF32,
  heapOffset,
  heapSet,
  hostScratch,
} from '../internal/wasm-heap-view.js';

/** Below this |x|, tanh is the odd polynomial of Cephes' `tanhf`; above, 2σ(2x) − 1. */
const POLY_LIMIT = 0.625;

/**
 * A wasm `Tanh` faster than tfjs-backend-wasm 4.22's own kernel, which calls the scalar libm `tanh`
 * per element: an MLP's Hessian-vector products run it ~160 times per 20 power iterations (the
 * tanh gradient is recomputed from the input for exact second derivatives).
 *
 * Where gflow's wasm SIMD module runs, one pass over the heap in place: the fused tanh RNN's
 * forward step (`rnn_forward_step` with one step, one row, and a `u` of −0 that is also the
 * output), the rational approximation `tanhF32` of `TanhRnnSequence.ts` in float64 SIMD, within
 * 1.9e-7 of `Math.tanh` once rounded (tested here over [−20, 20] and on ±0, ±∞, NaN and
 * subnormals). Elsewhere, XNNPACK's vectorized sigmoid on host copies:
 *
 * tanh x = 2σ(2x) − 1 where |x| ≥ 0.625 (there tanh ≥ 0.55, so σ's error of a few float32 ulps
 * stays a few ulps of the result), and the minimax polynomial of Cephes' `tanhf` (Moshier 1992),
 * x + x³·P(x²), evaluated in float64, below (where 2σ(2x) − 1 would cancel). Relative error within
 * 3e-7 of the float64 `Math.tanh` (tested over [−20, 20], ±0, ±∞, NaN). Other dtypes go to the
 * stock kernel.
 *
 * @param stock - tfjs's own wasm `Tanh` config.
 * @param sigmoid - tfjs's own wasm `Sigmoid` config (XNNPACK).
 */
export function tanhWasmConfig(stock: tf.KernelConfig, sigmoid: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: 'Tanh',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      if (x.dtype !== 'float32') return stock.kernelFunc(args);
      const heap = asWasmHeap(args.backend);
      const n = x.shape.reduce((a, b) => a * b, 1);
      const simd = simdWasm(heap);
      if (simd !== undefined) {
        const out = heap.makeOutput([...x.shape], 'float32');
        const at = heapOffset(heap, out);
        // out = tanh(x + out) with out = −0, for which x + (−0) is x exactly (−0 included, where
        // +0 would give +0); each 4-wide block of u is read before it is written.
        heapF32(heap).fill(-0, at / 4, at / 4 + n);
        simd.rnn_forward_step(heapOffset(heap, x), at, at, at, 0, 1, 1, n);
        return out;
      }
      // Loops run on ordinary copies (see heapCopy): 2x, σ(2x) from XNNPACK, then the result.
      const xs = heapCopy(heap, heapOffset(heap, x) / 4, n, 0);
      const work = hostScratch(1, n);
      double(xs, work);
      const twice = heap.makeOutput([...x.shape], 'float32');
      let out: tf.TensorInfo;
      try {
        heapSet(heap, work, heapOffset(heap, twice) / 4);
        out = sigmoid.kernelFunc({ inputs: { x: twice }, backend: args.backend, attrs: {} }) as tf.TensorInfo;
      } finally {
        heap.disposeData(twice.dataId);
      }
      const outAt = heapOffset(heap, out) / 4;
      const s = heapCopy(heap, outAt, n, 1); // σ(2x), into `work`'s slot
      tanhFromSigmoid(xs, s);
      heapSet(heap, s, outAt);
      return out;
    },
  };
}

// The loops live in small functions of their own: inside the kernel function V8 compiled them by
// on-stack replacement, then threw that code away at the first untried call after the loop,
// every call (BENCHMARKS.md, "What remains", has the times).

/** dst = 2·src. */
function double(src: Float32Array, dst: Float32Array): void {
  for (let i = 0; i < src.length; i++) dst[i] = 2 * src[i]!;
}

/** s holds σ(2x) on entry and tanh x on return (see {@link tanhWasmConfig}). */
function tanhFromSigmoid(x: Float32Array, s: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (Math.abs(v) < POLY_LIMIT) {
      const z = v * v;
      const p =
        ((((-5.70498872745e-3 * z + 2.06390887954e-2) * z - 5.37397155531e-2) * z + 1.33314422036e-1) * z -
          3.33332819422e-1) *
        z;
      s[i] = v * (1 + p); // x + x·p, keeping the sign of ±0
    } else {
      s[i] = 2 * s[i]! - 1;
    }
  }
}
