import * as tf from '@tensorflow/tfjs';
import { heapSlice } from '../internal/wasm-heap-slice.js';
import { asWasmHeap } from '../internal/wasm-heap-view.js';

/**
 * A wasm `Slice` that copies only the slice: tfjs-backend-wasm 4.22's starts with
 * `backend.readSync(x)`, a copy of the WHOLE input out of the wasm heap, for every slice. This one
 * reads the input through a view of the heap and copies the slice's contiguous runs
 * (out[i] = x[begin + i] for every index i < size). Strings go to the stock kernel.
 *
 * @param stock - tfjs's own wasm `Slice` config (used for string tensors).
 */
export function sliceWasmConfig(stock: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: 'Slice',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      if (x.dtype === 'string') return stock.kernelFunc(args);
      const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
      const [b, s] = tf.slice_util.parseSliceParams(x, begin, size) as [number[], number[]];
      tf.slice_util.assertParamsValid(x, b, s);
      return heapSlice(asWasmHeap(args.backend), x, b, s);
    },
  };
}
