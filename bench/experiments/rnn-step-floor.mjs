// The per-step matmul of the fused tanh RNN ([32,128]·[128,128], direct C++ BatchMatMul on heap
// buffers, as the fused kernels call it) at a given thread count: ms per 256 calls, fastest of RUNS.
//   node bench/experiments/rnn-step-floor.mjs [THREADS] [RUNS]
import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { asWasmHeap } from '../../packages/backend/dist/internal/wasm-heap-view.js';
import { heapMatMul } from '../../packages/backend/dist/internal/wasm-matmul.js';

const threads = Number(process.argv[2] ?? 2);
const runs = Number(process.argv[3] ?? 25);
await initBackend({ prefer: 'wasm', threads });
const backend = tf.backend();
const heap = asWasmHeap(backend);
const a = tf.randomNormal([1, 32, 128]);
const b = tf.randomNormal([1, 128, 128]);
const out = tf.zeros([1, 32, 128]);
const info = (t) => ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
const step = heapMatMul(heap, info(a), info(b), info(out), 32, 128, 128);
const best = (f) => {
  let m = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    f();
    m = Math.min(m, performance.now() - t0);
  }
  return m;
};
const ms = best(() => {
  for (let t = 0; t < 256; t++) step();
});
console.log(
  `threads ${threads}: 256 × [32,128]·[128,128] ${ms.toFixed(2)} ms (${((ms / 256) * 1000).toFixed(1)} µs each, ${((256 * 2 * 32 * 128 * 128) / ms / 1e6).toFixed(1)} GFLOP/s)`,
);
