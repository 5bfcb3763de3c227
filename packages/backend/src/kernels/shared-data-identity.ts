import type * as tf from '@tensorflow/tfjs';
import { asWasmHeap } from '../internal/wasm-heap-view.js';

/**
 * A wasm kernel that returns its input's data under a new reference (`incRef`) instead of a copy,
 * as tfjs's cpu and webgl backends do. tfjs-backend-wasm 4.22's `Identity` and `Cast` copy the
 * whole tensor, even a float32 → float32 cast; the engine clones every tensor it saves for the
 * backward pass (one `Identity` each) and tfjs's gradients cast their inputs to float32 (`Mul`,
 * `RealDiv`, ...), so a conv net's forward and backward pass copied megabytes per layer for nothing.
 * Sharing is safe because no tfjs or gflow wasm kernel writes into its inputs' memory (variables
 * take new data on `assign`, they are not written in place).
 *
 * Identity: out = x. Cast: out = x when `attrs.dtype` is x's dtype; out = (x ≠ 0) for a cast to
 * bool (the stock kernel stores x into a byte, so −2 became 254 where tfjs's cpu gives 1); any
 * other cast, and strings, go to the stock kernel.
 *
 * @param stock - tfjs's own wasm config for `kernelName`.
 * @param kernelName - `'Identity'` or `'Cast'`.
 */
export function sharedDataWasmConfig(
  stock: tf.KernelConfig,
  kernelName: 'Identity' | 'Cast',
): tf.KernelConfig {
  return {
    kernelName,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      const dtype = kernelName === 'Cast' ? (args.attrs as unknown as { dtype: tf.DataType }).dtype : x.dtype;
      if (x.dtype !== 'string' && dtype === 'bool' && x.dtype !== 'bool') return castToBool(args.backend, x);
      if (x.dtype === 'string' || dtype !== x.dtype) return stock.kernelFunc(args);
      asWasmHeap(args.backend).incRef(x.dataId);
      return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
    },
  };
}

/** out = 1 where x ≠ 0 (NaN included, as tfjs's cpu kernel), else 0, as bool. */
function castToBool(backend: unknown, x: tf.TensorInfo): tf.TensorInfo {
  const heap = asWasmHeap(backend);
  const out = heap.makeOutput([...x.shape], 'bool');
  // Views taken after the allocation (a malloc may grow the heap and replace its buffer).
  const src = heap.typedArrayFromHeap(x);
  const dst = heap.typedArrayFromHeap(out);
  for (let i = 0; i < src.length; i++) dst[i] = src[i] !== 0 ? 1 : 0;
  return out;
}
