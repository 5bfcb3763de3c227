import type * as tf from '@tensorflow/tfjs';
import { hostTransposed } from '../internal/host-transpose.js';
import { freshMatMulB } from '../internal/packed-operand.js';
import { simdWasm } from '../internal/simd-wasm.js';
import { asWasmHeap, heapOffset } from '../internal/wasm-heap-view.js';
import { KernelScratch } from '../internal/wasm-scratch.js';

/**
 * A wasm `BatchMatMul` that never hands tfjs's kernel a transposed operand.
 *
 * tfjs-backend-wasm 4.22 runs `BatchMatMul` on XNNPACK only when neither `transposeA` nor
 * `transposeB` is set; with either it falls back to a scalar loop, 10–25 times slower. Every
 * backward pass of a dense layer asks for both (dX = dY·Wᵀ, dW = Xᵀ·dY). This fill swaps the last
 * two axes of the transposed operand explicitly (the `Transpose` kernel, one copy) and calls the
 * stock kernel untransposed: A·B with A' = transpose(A) when `transposeA`, likewise B. Batch
 * broadcasting is left to the stock kernel. What it saves is measured in BENCHMARKS.md
 * ("What each lever bought"). A `b` whose buffer tfjs
 * already packed in another shape is copied first (see `internal/packed-operand.ts`).
 *
 * @param stock - tfjs's own wasm `BatchMatMul` config (its `setupFunc` is kept).
 */
export function batchMatMulWasmConfig(stock: tf.KernelConfig): tf.KernelConfig {
  const stockFunc = stock.kernelFunc;
  return {
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    ...(stock.setupFunc !== undefined ? { setupFunc: stock.setupFunc } : {}),
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = args.attrs as { transposeA?: boolean; transposeB?: boolean };
      const s = new KernelScratch(args.backend as tf.KernelBackend, 'wasm');
      // The operand handed to tfjs's kernel as `b`, copied when tfjs packed its buffer in another shape.
      const asB = (x: tf.TensorInfo): tf.TensorInfo => freshMatMulB(s, args.backend, x);
      if (!transposeA && !transposeB) {
        const bb = asB(b);
        if (bb === b) return stockFunc(args);
        return s.finish(stockFunc({ ...args, inputs: { a, b: bb } }) as tf.TensorInfo);
      }
      // Aᵀ·B with B much wider than A (a weight gradient Xᵀ·dY, X [K, M] and dY [K, N], N ≥ 4M):
      // for M ≤ 32, by gflow's wasm SIMD loop reading A and B in place where it runs (one thread,
      // no copy, nothing packed; the same float32 sums as the route below; from M = 64 on two
      // XNNPACK threads caught up, BENCHMARKS.md); otherwise computed as (Bᵀ·A)ᵀ,
      // so that XNNPACK packs the narrow A as its weights (and reuses the packing while A's
      // buffer lives, e.g. a model's inputs) instead of packing the wide B afresh, with the two
      // transpositions by `hostTransposed`. BENCHMARKS.md, "The fused tanh RNN", has the times.
      if (
        transposeA &&
        !transposeB &&
        a.shape.length === 2 &&
        b.shape.length === 2 &&
        a.dtype === 'float32' &&
        b.dtype === 'float32' &&
        (b.shape[1] as number) >= 4 * (a.shape[1] as number)
      ) {
        const heap = asWasmHeap(args.backend);
        const simd = (a.shape[1] as number) <= 32 ? simdWasm(heap) : undefined;
        if (simd !== undefined) {
          const [K, M] = a.shape as [number, number];
          const N = b.shape[1] as number;
          const out = heap.makeOutput([M, N], 'float32');
          simd.matmul_tn(heapOffset(heap, a), heapOffset(heap, b), heapOffset(heap, out), K, M, N);
          return out;
        }
        const bT = s.adopt(hostTransposed(heap, b));
        const cT = s.adopt(
          stockFunc({
            inputs: { a: bT, b: asB(a) },
            backend: args.backend,
            attrs: { ...args.attrs, transposeA: false, transposeB: false },
          }) as tf.TensorInfo,
        );
        return s.finish(hostTransposed(heap, cT));
      }
      const swapLast = (x: tf.TensorInfo): tf.TensorInfo => {
        const r = x.shape.length;
        const perm = [...Array(r).keys()];
        perm[r - 1] = r - 2;
        perm[r - 2] = r - 1;
        return s.run('Transpose', { x }, { perm });
      };
      const out = stockFunc({
        inputs: { a: transposeA ? swapLast(a) : a, b: asB(transposeB ? swapLast(b) : b) },
        backend: args.backend,
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      }) as tf.TensorInfo;
      return s.finish(out);
    },
  };
}
