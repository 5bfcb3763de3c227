// A product with a fresh weight matrix (as after every optimizer update), several ways, min of N
// interleaved rounds:  node bench/experiments/fresh-weights.mjs [THREADS]
import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { hostTransposed } from '../../packages/backend/dist/internal/host-transpose.js';

await initBackend({ prefer: 'wasm', threads: Number(process.argv[2] ?? 2) });
const [M, K, N] = (process.argv[3] ?? '128,512,512').split(',').map(Number);
const h = tf.randomNormal([M, K]);
const w = tf.randomNormal([K, N]);
const ways = {
  'matMul fresh w': (w) => tf.matMul(h, w),
  'matMul same w': () => tf.matMul(h, w0),
  'conv2d 1x1 fresh w': (w) => tf.conv2d(h.reshape([M, 1, 1, K]), w.reshape([1, 1, K, N]), 1, 'valid'),
  'transpose(w) only': (w) => tf.transpose(w),
  'Wᵀ·hᵀ (tfjs transposes)': (w) => tf.transpose(tf.matMul(tf.transpose(w), tf.transpose(h))),
  'hostTransposed(w)': (w) => {
    const b = tf.backend();
    const t = hostTransposed(b, w);
    return tf.engine().makeTensorFromTensorInfo(t);
  },
  'hostTransposed(h)': () => {
    const b = tf.backend();
    const t = hostTransposed(b, h);
    return tf.engine().makeTensorFromTensorInfo(t);
  },
  'transpose(h) kernel': () => tf.transpose(h),
  'dy·wᵀ (fill)': (w) =>
    tf.matMul(
      h.slice([0, 0], [M, Math.min(N, K)]).pad([
        [0, 0],
        [0, Math.max(0, N - K)],
      ]),
      w,
      false,
      true,
    ),
};
const w0 = tf.randomNormal([K, N]);
const best = Object.fromEntries(Object.keys(ways).map((k) => [k, Infinity]));
for (let r = 0; r < 40; r++) {
  for (const [name, f] of Object.entries(ways)) {
    const fresh = tf.add(w, 0);
    const t0 = performance.now();
    const y = tf.tidy(() => f(fresh));
    y.dataSync();
    const ms = performance.now() - t0;
    if (r >= 3) best[name] = Math.min(best[name], ms);
    y.dispose();
    fresh.dispose();
  }
}
for (const [k, v] of Object.entries(best))
  console.log(`[${M},${K}]·[${K},${N}] ${k.padEnd(28)} ${v.toFixed(3)} ms`);
