import type * as tf from '@tensorflow/tfjs';
import { heapSlice } from '../internal/wasm-heap-slice.js';
import { asWasmHeap } from '../internal/wasm-heap-view.js';

/**
 * A wasm `Unpack` (`tf.unstack`) whose slices copy only themselves: tfjs-backend-wasm 4.22's calls
 * its `Slice` once per output, and that `Slice` copies the whole input out of the wasm heap each
 * time (unstacking a [32, 256, 128] sequence copied 256 × 4 MiB). outᵢ = value[…, i, …] along
 * `axis`, read through a view of the heap. Strings go to the stock kernel.
 *
 * @param stock - tfjs's own wasm `Unpack` config (used for string tensors).
 */
export function unpackWasmConfig(stock: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: 'Unpack',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const value = args.inputs.value as tf.TensorInfo;
      if (value.dtype === 'string') return stock.kernelFunc(args);
      const rank = value.shape.length;
      let axis = (args.attrs as unknown as { axis: number }).axis;
      if (axis < 0) axis += rank;
      const outShape = value.shape.filter((_, i) => i !== axis);
      const size = [...value.shape];
      size[axis] = 1;
      const begin = new Array<number>(rank).fill(0);
      const outs: tf.TensorInfo[] = [];
      for (let i = 0; i < value.shape[axis]!; i++) {
        begin[axis] = i;
        outs.push(heapSlice(asWasmHeap(args.backend), value, begin, size, outShape));
      }
      return outs;
    },
  };
}
