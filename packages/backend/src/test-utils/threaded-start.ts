// Child-process script for init-backend-threads.test.ts: starts the wasm engine with 2 threads,
// runs a matmul and prints the thread count. The test checks that the process then exits by
// itself (the pool's workers must not keep Node alive).
// The Node entry's host (index.ts installs it): this script imports a module below the entry.
import '../internal/node-host.js';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../init-backend.js';

const info = await initBackend({ prefer: 'wasm', threads: 2 });
const s = tf.tidy(() => tf.sum(tf.matMul(tf.ones([128, 128]), tf.ones([128, 128]))).dataSync()[0]);
console.log(JSON.stringify({ threads: info.threads, sum: s }));
