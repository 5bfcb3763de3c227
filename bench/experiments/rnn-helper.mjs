// The fused tanh RNN's ∂L/∂w (rnn_weight_grad of gflow's wasm SIMD module, rnn-lag-256's size:
// b 32, T 256, n 128) on one thread and shared by rows with the helper thread (as the kernel
// does), each time GAP ms after 50 two-thread XNNPACK matmuls (0: right after, as in the kernel,
// where the backward loop's matmuls come just before), and whether both give the same bits:
//   node bench/experiments/rnn-helper.mjs [RUNS] [GAP]
import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { simdHelper } from '../../packages/backend/dist/internal/simd-helper.js';
import { simdWasm } from '../../packages/backend/dist/internal/simd-wasm.js';
import { asWasmHeap, heapOffset } from '../../packages/backend/dist/internal/wasm-heap-view.js';
import { heapMatMul } from '../../packages/backend/dist/internal/wasm-matmul.js';

const runs = Number(process.argv[2] ?? 15);
const gap = Number(process.argv[3] ?? 0);
const idle = () => {
  const t = performance.now();
  while (performance.now() - t < gap) {
    // the main thread busy, the other core idle
  }
};
await initBackend({ prefer: 'wasm', threads: 2 });
const heap = asWasmHeap(tf.backend());
const simd = simdWasm(heap);
simdHelper(heap);
for (let i = 0; i < 500 && simdHelper(heap) === undefined; i++) await new Promise((r) => setTimeout(r, 10));
const helper = simdHelper(heap);
if (helper === undefined) throw new Error('no helper thread (needs the threaded engine under Node)');
const [b, T, n] = [32, 256, 128];
const H = tf.randomNormal([b, T, n]);
const dz = tf.randomNormal([b, T, n]);
const h0 = tf.randomNormal([b, n]);
const dw1 = tf.zeros([n, n]);
const dw2 = tf.zeros([n, n]);
const [hA, dzA, h0A, w1, w2] = [H, dz, h0, dw1, dw2].map((t) => heapOffset(heap, t));
const info = (t) => ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
const ma = tf.randomNormal([1, 32, 128]);
const mb = tf.randomNormal([1, 128, 128]);
const mo = tf.zeros([1, 32, 128]);
const step = heapMatMul(heap, info(ma), info(mb), info(mo), 32, 128, 128);
const f32 = () => new Float32Array(heap.wasm.HEAPU8.buffer);
const one = [];
const two = [];
let same = true;
for (let r = 0; r < runs; r++) {
  for (let q = 0; q < 50; q++) step();
  idle();
  f32().fill(0, w1 / 4, w1 / 4 + n * n);
  let t0 = performance.now();
  simd.rnn_weight_grad(hA, h0A, dzA, w1, T, b, n, 0, n);
  one.push(performance.now() - t0);
  for (let q = 0; q < 50; q++) step();
  idle();
  f32().fill(0, w2 / 4, w2 / 4 + n * n);
  t0 = performance.now();
  if (!helper.rows('rnn_weight_grad', simd, [hA, h0A, dzA, w2, T, b, n], n))
    throw new Error('a chunk trapped');
  two.push(performance.now() - t0);
  const x = f32().slice(w1 / 4, w1 / 4 + n * n);
  const y = f32().slice(w2 / 4, w2 / 4 + n * n);
  same &&= x.every((v, i) => Object.is(v, y[i]));
}
const med = (a) => a.slice().sort((p, q) => p - q)[a.length >> 1];
console.log(
  `rnn_weight_grad [${b}, ${T}, ${n}], ${gap} ms after the matmuls, median of ${runs}: one thread ${med(one).toFixed(2)} ms, split with the helper ${med(two).toFixed(2)} ms (${(med(one) / med(two)).toFixed(2)}×); same bits: ${same}; chunks the helper took: ${helper.helped} of ${4 * runs}`,
);
tf.dispose([H, dz, h0, dw1, dw2, ma, mb, mo]);
process.exit(0);
