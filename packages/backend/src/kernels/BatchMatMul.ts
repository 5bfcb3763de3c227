import type * as tf from '@tensorflow/tfjs';
import { heapSlice } from '../internal/wasm-heap-slice.js';
import { asWasmHeap } from '../internal/wasm-heap-view.js';
import { KernelScratch } from '../internal/wasm-scratch.js';

/**
 * The [batch, rows, cols] shape each data buffer last had as the `b` operand of tfjs's wasm
 * `BatchMatMul`. tfjs-backend-wasm 4.22 caches the XNNPACK operator it builds for `b` (the packed
 * weights) by the buffer's id alone, and a reshape keeps the id: multiplying by the same data in
 * a new shape (w [5, 7] in `x·w`, later reshape(w, [35, 1])) reuses the operator built for the
 * old shape and reads outside its buffer ("memory access out of bounds", or `Aborted()`). Such an
 * operand is copied first, which gives it a new id.
 */
const bShapes = new WeakMap<object, string>();

function bKey(b: tf.TensorInfo): string {
  const r = b.shape.length;
  const batch = b.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  return `${batch},${b.shape[r - 2]},${b.shape[r - 1]}`;
}

/**
 * A wasm `BatchMatMul` that never hands tfjs's kernel a transposed operand.
 *
 * tfjs-backend-wasm 4.22 runs `BatchMatMul` on XNNPACK only when neither `transposeA` nor
 * `transposeB` is set; with either it falls back to a scalar loop, 10–25 times slower. Every
 * backward pass of a dense layer asks for both (dX = dY·Wᵀ, dW = Xᵀ·dY). This fill swaps the last
 * two axes of the transposed operand explicitly (the `Transpose` kernel, one copy) and calls the
 * stock kernel untransposed: A·B with A' = transpose(A) when `transposeA`, likewise B. Batch
 * broadcasting is left to the stock kernel. Measured in BENCHMARKS.md ("What each lever bought",
 * by the benchmark helper): [256,784]ᵀ×[256,256] 109.9 ms → 13.9 ms.
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
      // The operand handed to tfjs's kernel as `b`, copied when its buffer was a `b` of another shape.
      const asB = (x: tf.TensorInfo): tf.TensorInfo => {
        const key = bKey(x);
        const seen = bShapes.get(x.dataId);
        if (seen === undefined) bShapes.set(x.dataId, key);
        if (seen === undefined || seen === key) return x;
        const copy = s.adopt(
          heapSlice(
            asWasmHeap(args.backend),
            x,
            x.shape.map(() => 0),
            x.shape,
          ),
        );
        bShapes.set(copy.dataId, key);
        return copy;
      };
      if (!transposeA && !transposeB) {
        const bb = asB(b);
        if (bb === b) return stockFunc(args);
        return s.finish(stockFunc({ ...args, inputs: { a, b: bb } }) as tf.TensorInfo);
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
