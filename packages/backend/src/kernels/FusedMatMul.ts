import type * as tf from '@tensorflow/tfjs';
import { freshMatMulB } from '../internal/packed-operand.js';
import { KernelScratch } from '../internal/wasm-scratch.js';

/**
 * tfjs's wasm `_FusedMatMul` (`tf.fused.matMul`, which tfjs-layers' dense layers use), with its
 * `b` copied first when tfjs already packed that buffer in another shape: the same operator cache
 * by buffer id as `BatchMatMul` (see `internal/packed-operand.ts`), which aborts otherwise.
 *
 * @param stock - tfjs's own wasm `_FusedMatMul` config (its `setupFunc` is kept).
 */
export function fusedMatMulWasmConfig(stock: tf.KernelConfig): tf.KernelConfig {
  const stockFunc = stock.kernelFunc;
  return {
    kernelName: stock.kernelName,
    backendName: 'wasm',
    ...(stock.setupFunc !== undefined ? { setupFunc: stock.setupFunc } : {}),
    kernelFunc: (args) => {
      const b = args.inputs.b as tf.TensorInfo;
      const { transposeB } = args.attrs as { transposeB?: boolean };
      const s = new KernelScratch(args.backend as tf.KernelBackend, 'wasm');
      const bb = freshMatMulB(s, args.backend, b, transposeB === true);
      if (bb === b) return stockFunc(args);
      return s.finish(stockFunc({ ...args, inputs: { ...args.inputs, b: bb } }) as tf.TensorInfo);
    },
  };
}
