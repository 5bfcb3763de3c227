// How long the fused RNN's per-step matmul ([32,128]·[128,128], the direct C++ BatchMatMul as the
// kernels call it) takes in a process's first calls: ms per batch of 256 calls, 20 batches back to
// back from the engine's start, with GAP ms of idle main thread between batches (default 0):
//   node bench/experiments/matmul-warmup.mjs [THREADS] [GAP]
// The workloads' timed passes start after one warm-up pass, so what this shows (the first
// thousands of two-thread calls run slower than later ones) is part of rnn-lag-256's median.
import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { asWasmHeap } from '../../packages/backend/dist/internal/wasm-heap-view.js';
import { heapMatMul } from '../../packages/backend/dist/internal/wasm-matmul.js';

const threads = Number(process.argv[2] ?? 2);
const gap = Number(process.argv[3] ?? 0);
await initBackend({ prefer: 'wasm', threads });
const heap = asWasmHeap(tf.backend());
const a = tf.randomNormal([1, 32, 128]);
const b = tf.randomNormal([1, 128, 128]);
const out = tf.zeros([1, 32, 128]);
const info = (t) => ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
const step = heapMatMul(heap, info(a), info(b), info(out), 32, 128, 128);
const ms = [];
for (let r = 0; r < 20; r++) {
  const t0 = performance.now();
  for (let t = 0; t < 256; t++) step();
  ms.push((performance.now() - t0).toFixed(1));
  const t1 = performance.now();
  while (performance.now() - t1 < gap) {
    // idle main thread, busy so that the timer does not yield to the event loop
  }
}
console.log(`threads ${threads}, gap ${gap} ms: ms per 256 calls, in order: ${ms.join(' ')}`);
tf.dispose([a, b, out]);
