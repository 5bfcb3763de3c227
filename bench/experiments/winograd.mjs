// gflow's Winograd F(2×2, 3×3) Conv2D against tfjs-wasm's own (XNNPACK) Conv2D at the conv
// workloads' geometry (x [4, 32, 32, 64], w [3, 3, 64, 64], 'same'), alternating blocks of 10 calls;
// then gflow's Conv2DBackpropFilter (Winograd) alone; and the
// largest difference of either from a float64 sum relative to Σ|x|·|w|:
//   node bench/experiments/winograd.mjs [CALLS] [THREADS] [N H W C K]
import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { simdHelper } from '../../packages/backend/dist/internal/simd-helper.js';
import { asWasmHeap } from '../../packages/backend/dist/internal/wasm-heap-view.js';
import { replacedKernel } from '../../packages/backend/dist/register-kernel-fills.js';

const calls = Number(process.argv[2] ?? 40);
const threads = Number(process.argv[3] ?? 2);
const [N, H, W, C, K] = (
  process.argv.slice(4).length === 5 ? process.argv.slice(4) : [4, 32, 32, 64, 64]
).map(Number);
await initBackend({ prefer: 'wasm', threads });
const heap = asWasmHeap(tf.backend());
const stock = replacedKernel('Conv2D', 'wasm');
const x = tf.randomNormal([N, H, W, C]);
const w = tf.randomNormal([3, 3, C, K]);
const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1] };
const ours = () => tf.conv2d(x, w, 1, 'same');
const theirs = () =>
  tf
    .engine()
    .makeTensorFromTensorInfo(stock.kernelFunc({ inputs: { x, filter: w }, backend: tf.backend(), attrs }));
// float64 reference on a sample of outputs
const xs = x.dataSync(),
  ws = w.dataSync();
const yo = ours(),
  yt = theirs();
const a = yo.dataSync(),
  b = yt.dataSync();
let worstO = 0,
  worstT = 0;
for (let s = 0; s < 4000; s++) {
  const idx = Math.floor(Math.random() * a.length);
  const k = idx % K,
    q = Math.floor(idx / K),
    j = q % W,
    i = Math.floor(q / W) % H,
    n = Math.floor(q / (W * H));
  let sum = 0,
    abs = 0;
  for (let di = 0; di < 3; di++)
    for (let dj = 0; dj < 3; dj++) {
      const r = i + di - 1,
        c = j + dj - 1;
      if (r < 0 || r >= H || c < 0 || c >= W) continue;
      for (let ci = 0; ci < C; ci++) {
        const p = xs[((n * H + r) * W + c) * C + ci] * ws[((di * 3 + dj) * C + ci) * K + k];
        sum += p;
        abs += Math.abs(p);
      }
    }
  worstO = Math.max(worstO, Math.abs(a[idx] - sum) / abs);
  worstT = Math.max(worstT, Math.abs(b[idx] - sum) / abs);
}
yo.dispose();
yt.dispose();
console.log(
  `error / Σ|x·w|: winograd ${worstO.toExponential(2)}, xnnpack ${worstT.toExponential(2)} (2^-24 = ${(2 ** -24).toExponential(2)})`,
);
for (let i = 0; i < 5; i++) {
  ours().dispose();
  theirs().dispose();
}
// Alternating blocks of 10 calls each (single alternating calls would make each engine's
// threads wake from the other's idle).
const to = [],
  tt = [];
for (let i = 0; i < calls; i += 10) {
  for (let j = 0; j < 10; j++) {
    const t0 = performance.now();
    const p = ours();
    to.push(performance.now() - t0);
    p.dispose();
  }
  for (let j = 0; j < 10; j++) {
    const t0 = performance.now();
    const q = theirs();
    tt.push(performance.now() - t0);
    q.dispose();
  }
}
// The filter gradient (gflow's Winograd fill) alone.
const dy = tf.randomNormal([N, H, W, K]);
const fg = tf.getKernel('Conv2DBackpropFilter', 'wasm');
const filterGrad = () =>
  tf.engine().makeTensorFromTensorInfo(
    fg.kernelFunc({
      inputs: { x, dy },
      backend: tf.backend(),
      attrs: { ...attrs, filterShape: [3, 3, C, K] },
    }),
  );
for (let i = 0; i < 5; i++) filterGrad().dispose();
const tf_ = [];
for (let i = 0; i < calls; i++) {
  const t0 = performance.now();
  const g = filterGrad();
  tf_.push(performance.now() - t0);
  g.dispose();
}
const med = (v) => [...v].sort((p, q) => p - q)[v.length >> 1];
const flop = 2 * N * H * W * C * K * 9;
console.log(`filter gradient (Winograd): ${med(tf_).toFixed(2)} ms (fastest ${Math.min(...tf_).toFixed(2)})`);
console.log(
  `threads ${threads}, helper ${simdHelper(heap) !== undefined}: winograd ${med(to).toFixed(2)} ms (fastest ${Math.min(...to).toFixed(2)}), xnnpack ${med(tt).toFixed(2)} ms (fastest ${Math.min(...tt).toFixed(2)}); direct-equivalent GFLOP/s ${(flop / med(to) / 1e6).toFixed(1)} vs ${(flop / med(tt) / 1e6).toFixed(1)}`,
);
