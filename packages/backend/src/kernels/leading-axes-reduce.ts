import * as tf from '@tensorflow/tfjs';
import { asWasmHeap, heapF32, heapOffset, releaseView, tensorView } from '../internal/wasm-heap-view.js';
import { KernelScratch } from '../internal/wasm-scratch.js';

/** Below this many elements the stock kernel is as fast (and the fill's kernel calls dominate). */
const MIN_SIZE = 8192;

/**
 * A wasm `Sum` or `Mean` for float32 reductions over leading axes (x[n, h, w, c] over [0, 1, 2]:
 * batch norm's statistics and the bias and scale gradients of every NHWC layer).
 *
 * tfjs-backend-wasm 4.22 first transposes the reduced axes to the end (a copy of the whole
 * tensor) and then sums, several times the cost of an elementwise op (BENCHMARKS.md has the
 * measurement). Seen as [rows, cols], a sum over the leading axes is a sum of rows: this fill adds the
 * first half of the rows to the second half with the stock `Add` kernel, on two *views* of the
 * heap (no copy), halving until one row is left (an odd row out is added at the end), and divides
 * by the row count for `Mean`. That is pairwise summation (error O(log rows · ε) rather than the
 * sequential sum's O(rows · ε)). Other reductions go to the stock kernel.
 *
 * @param stock - tfjs's own wasm kernel of the same name.
 */
export function leadingAxesReduceWasmConfig(stock: tf.KernelConfig, kind: 'Sum' | 'Mean'): tf.KernelConfig {
  return {
    kernelName: kind,
    backendName: 'wasm',
    ...(stock.setupFunc !== undefined ? { setupFunc: stock.setupFunc } : {}),
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
      const rank = x.shape.length;
      const size = tf.util.sizeFromShape(x.shape);
      if (x.dtype !== 'float32' || size < MIN_SIZE) return stock.kernelFunc(args);
      const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
      const k = axes.length;
      if (k === 0 || k >= rank || !axes.every((a, i) => a === i)) return stock.kernelFunc(args);
      const rows = tf.util.sizeFromShape(x.shape.slice(0, k));
      const cols = size / rows;
      if (rows < 2) return stock.kernelFunc(args);
      const backend = asWasmHeap(args.backend);
      const kb = args.backend as tf.KernelBackend;
      const add = tf.getKernel('Add', 'wasm');
      if (add === undefined) return stock.kernelFunc(args);
      const s = new KernelScratch(kb, 'wasm');
      const addViews = (a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo =>
        s.adopt(add.kernelFunc({ inputs: { a, b }, backend: kb, attrs: {} }) as tf.TensorInfo);
      // Views of single rows left over by odd counts; their buffers live until `finish`.
      const leftovers: tf.TensorInfo[] = [];
      let cur = x;
      let n = rows;
      try {
        while (n > 1) {
          const h = n >> 1;
          const at = heapOffset(backend, cur);
          const top = tensorView(backend, at, [h, cols]);
          const bottom = tensorView(backend, at + 4 * h * cols, [h, cols]);
          if (n % 2 === 1) leftovers.push(tensorView(backend, at + 8 * h * cols, [1, cols]));
          try {
            cur = addViews(top, bottom);
          } finally {
            releaseView(backend, top);
            releaseView(backend, bottom);
          }
          n = h;
        }
        for (const row of leftovers) cur = addViews(cur, row);
      } finally {
        for (const row of leftovers) releaseView(backend, row);
      }
      if (kind === 'Mean') {
        const count = s.adopt(backend.makeOutput([], 'float32'));
        heapF32(backend)[heapOffset(backend, count) / 4] = rows;
        cur = s.run('RealDiv', { a: cur, b: count });
      }
      const outShape = keepDims ? x.shape.map((d, i) => (i < k ? 1 : d)) : x.shape.slice(k);
      return s.finish(s.reshape(cur, outShape));
    },
  };
}
