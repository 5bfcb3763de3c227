// The fused tanh RNN's kernels at rnn-lag-256's size (b 32, T 256, n 128), the forward and the
// backward (stepNorms) timed alone, with gflow's SIMD helper on and off, alternating in one process
// (the threaded engine, 2 threads): medians of each, after WARMUP calls of each:
//   node bench/experiments/rnn-rows.mjs [CALLS] [WARMUP]
import { initBackend } from '@gflow/backend';
import { TANH_RNN_SEQUENCE, TANH_RNN_SEQUENCE_GRAD } from '@gflow/core/internal';
import * as tf from '@tensorflow/tfjs';
import { useSimdHelper } from '../../packages/backend/dist/internal/simd-helper.js';

const [calls = '30', warmup = '5'] = process.argv.slice(2);
await initBackend({ prefer: 'wasm', threads: 2 });
const [b, T, n] = [32, 256, 128];
const u = tf.randomNormal([b, T, n], 0, 1, 'float32', 1);
const w = tf.randomNormal([n, n], 0, 1 / Math.sqrt(n), 'float32', 2);
const h0 = tf.zeros([b, n]);
const dh = tf.randomNormal([b, T, n], 0, 1, 'float32', 3);
const time = (f) => {
  const t0 = performance.now();
  const out = f();
  const ms = performance.now() - t0;
  tf.dispose(out);
  return ms;
};
const h = tf.engine().runKernel(TANH_RNN_SEQUENCE, { u, w, h0 });
const fwd = () => tf.engine().runKernel(TANH_RNN_SEQUENCE, { u, w, h0 });
const bwd = () => tf.engine().runKernel(TANH_RNN_SEQUENCE_GRAD, { dh, h, w, h0 }, { stepNorms: true });
const res = { fwdOn: [], fwdOff: [], bwdOn: [], bwdOff: [] };
for (let i = 0; i < Number(calls) + Number(warmup); i++) {
  for (const on of [true, false]) {
    useSimdHelper(on);
    const f = time(fwd);
    const g = time(bwd);
    if (i >= Number(warmup)) {
      res[on ? 'fwdOn' : 'fwdOff'].push(f);
      res[on ? 'bwdOn' : 'bwdOff'].push(g);
    }
  }
}
useSimdHelper(true);
const med = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
const min = (a) => Math.min(...a);
for (const [k, v] of Object.entries(res))
  console.log(`${k}: median ${med(v).toFixed(2)} ms, fastest ${min(v).toFixed(2)}`);
tf.dispose([u, w, h0, dh, h]);
process.exit(0);
