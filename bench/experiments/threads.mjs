// Measures tfjs's wasm engine at N threads (N = 0: the stock single-threaded SIMD build), and
// checks its results against the pure-JS cpu backend on the same seeded inputs.
// Usage (after `npx tsc -b bench`): node bench/experiments/threads.mjs N
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { withWasmThreads } from '../dist/wasm-threads.js';

const n = Number(process.argv[2] ?? 2);
const reps = Number(process.argv[3] ?? 31);

// Reference values on the cpu backend first (same seeds).
await tf.setBackend('cpu');
const make = () => ({
  x: tf.randomNormal([4, 32, 32, 64], 0, 1, 'float32', 1),
  w: tf.randomNormal([3, 3, 64, 64], 0, 0.05, 'float32', 2),
  a: tf.randomNormal([512, 512], 0, 1, 'float32', 3),
  b: tf.randomNormal([512, 512], 0, 1, 'float32', 4),
});
const ops = ({ x, w, a, b }) => ({
  conv: () => tf.conv2d(x, w, 1, 'same'),
  matmul: () => tf.matMul(a, b),
  convGrad: () => tf.grad((xx) => tf.conv2d(xx, w, 1, 'same').square().sum())(x),
});
const ref = {};
{
  const t = make();
  for (const [k, f] of Object.entries(ops(t))) ref[k] = f().dataSync();
}

let threads = 1;
const t0 = performance.now();
if (n > 0) ({ threads } = await withWasmThreads(n, () => tf.setBackend('wasm')));
else await tf.setBackend('wasm');
const initMs = performance.now() - t0;

const t = make();
const o = ops(t);
const out = { requested: n, threads, initMs: +initMs.toFixed(1), ms: {}, maxRelErr: {} };
for (const [k, f] of Object.entries(o)) {
  const got = f().dataSync();
  let err = 0,
    scale = 0;
  for (let i = 0; i < got.length; i++) {
    err = Math.max(err, Math.abs(got[i] - ref[k][i]));
    scale = Math.max(scale, Math.abs(ref[k][i]));
  }
  out.maxRelErr[k] = +(err / scale).toExponential(2);
  const s = [];
  for (let i = 0; i < reps; i++) {
    const s0 = performance.now();
    const r = f();
    r.dataSync();
    r.dispose();
    s.push(performance.now() - s0);
  }
  s.sort((p, q) => p - q);
  out.ms[k] = +s[reps >> 1].toFixed(2);
}
out.numTensorsLeft = tf.memory().numTensors;
console.log(JSON.stringify(out));
// No process.exit: the process must end by itself (the pool's workers are unref'd).
