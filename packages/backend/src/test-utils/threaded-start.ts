// Child-process script for init-backend-threads.test.ts: starts the wasm engine with 2 threads,
// runs a matmul and the fused RNN's gradient kernel (shared with gflow's SIMD helper thread,
// which initBackend started), and prints the thread count. The test checks that the process then exits by itself (neither the
// pool's workers nor the helper may keep Node alive).
// The Node entry's host (index.ts installs it): this script imports a module below the entry.
import '../internal/node-host.js';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../init-backend.js';
import { simdHelper } from '../internal/simd-helper.js';
import { asWasmHeap } from '../internal/wasm-heap-view.js';
import { rnnWeightGradient } from './simd-paths.js';

const info = await initBackend({ prefer: 'wasm', threads: 2 });
const s = tf.tidy(() => tf.sum(tf.matMul(tf.ones([128, 128]), tf.ones([128, 128]))).dataSync()[0]);
// The helper is up (initBackend waited for it; asleep in Atomics.wait between calls): runs until
// it has taken part.
const heap = asWasmHeap(tf.backend());
for (let i = 0; i < 100 && (simdHelper(heap)?.helped ?? 0) === 0; i++) rnnWeightGradient(16, 40, 68);
const helped = (simdHelper(heap)?.helped ?? 0) > 0;
console.log(JSON.stringify({ threads: info.threads, sum: s, helped }));
