/**
 * EXPERIMENT (not used by the default benchmark): a wasm `BatchMatMul` that never asks tfjs's
 * wasm kernel for a transposed operand.
 *
 * tfjs-backend-wasm 4.22 runs `BatchMatMul` through XNNPACK only when neither operand is
 * transposed; with `transposeA` or `transposeB` it falls back to a scalar loop 12-25x slower.
 * Every backward pass of a dense layer asks for both (dX = dY·Wᵀ, dW = Xᵀ·dY), so an MLP's or an
 * RNN's gradient spends most of its time there. This fill transposes the operand explicitly (the
 * `Transpose` kernel, a copy) and calls the stock kernel untransposed. It belongs in
 * `@gflow/backend`'s wasm kernel fills; it lives here to measure what it buys.
 */
import * as tf from '@tensorflow/tfjs';

let installed = false;

/** Replaces the wasm `BatchMatMul` kernel by the transpose-first version (idempotent). */
export function registerTransposeFirstMatMul(): void {
  if (installed) return;
  const stock = tf.getKernel('BatchMatMul', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (stock === undefined || transpose === undefined)
    throw new Error('registerTransposeFirstMatMul: wasm kernels not registered');
  const stockFunc = stock.kernelFunc;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    ...(stock.setupFunc ? { setupFunc: stock.setupFunc } : {}),
    kernelFunc: (args) => {
      const { inputs, backend, attrs } = args;
      const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
      if (!transposeA && !transposeB) return stockFunc(args);
      const made: tf.TensorInfo[] = [];
      const swapLast = (x: tf.TensorInfo): tf.TensorInfo => {
        const r = x.shape.length;
        const perm = [...Array(r).keys()];
        perm[r - 1] = r - 2;
        perm[r - 2] = r - 1;
        const out = transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
        made.push(out);
        return out;
      };
      const out = stockFunc({
        inputs: { a: transposeA ? swapLast(a) : a, b: transposeB ? swapLast(b) : b },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      }) as tf.TensorInfo;
      for (const t of made) (backend as tf.KernelBackend).disposeData(t.dataId);
      return out;
    },
  });
  installed = true;
}
