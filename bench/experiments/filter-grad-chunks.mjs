// Does blocking the tap matmuls' long inner dimension help XNNPACK? The nine tap matmuls of the
// wasm filter gradient (M = N = 64, K = n·34·34 = 4,624 for x, dy [4,32,32,64], 3×3) against the
// same work split into per-image, half-image and quarter-image chunks of K (4, 8, 16 times as many
// matmuls with the chunks' partial products left unsummed, which flatters the chunked variants), on
// synthetic operands laid out per chunk. On 2026-12-07 (2 threads, load 0.7): 10.5, 11.2, 10.4,
// 10.0 ms, the same within noise (BENCHMARKS.md, "Convolutions against the engine's peak").
// node bench/experiments/filter-grad-chunks.mjs [threads]   (build first)
import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { heapOffset, releaseView, tensorView } from '../../packages/backend/dist/internal/wasm-heap-view.js';

const threads = Number(process.argv[2] ?? 2);
await initBackend({ prefer: 'wasm', threads });
const be = tf.backend();
const mm = tf.getKernel('BatchMatMul', 'wasm');
const [n, hp, wp, ci, co] = [4, 34, 34, 64, 64];
const hw = hp * wp;
const K = n * hw;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const xA = tf.randomNormal([(ci + 1) * K], 0, 1, 'float32', 1);
const dyA = tf.randomNormal([K * co], 0, 1, 'float32', 2);

function run(rows, nChunks) {
  // chunked: A_b at b*ci*rows (layout [chunk][c][rows]), B_b at b*rows*co.
  const fresh = be.makeOutput([K * co], 'float32'); // fresh B every call (as in a pass)
  be.wasm.HEAPU8.copyWithin(heapOffset(be, fresh), heapOffset(be, dyA), heapOffset(be, dyA) + 4 * K * co);
  const outs = [];
  for (let b = 0; b < nChunks; b++) {
    const bv = tensorView(be, heapOffset(be, fresh) + 4 * b * rows * co, [1, rows, co]);
    for (let t = 0; t < 9; t++) {
      const off = Math.floor(t / 3) * wp + (t % 3);
      const av = tensorView(be, heapOffset(be, xA) + 4 * (b * ci * rows + off), [1, ci, rows]);
      const p = mm.kernelFunc({
        inputs: { a: av, b: bv },
        backend: be,
        attrs: { transposeA: false, transposeB: false },
      });
      releaseView(be, av);
      outs.push(p);
    }
    releaseView(be, bv);
  }
  for (const o of outs) be.disposeData(o.dataId);
  be.disposeData(fresh.dataId);
}
const variants = {
  wholeK: () => run(K, 1),
  perImage: () => run(hw, n),
  halfImage: () => run(hw / 2, 2 * n),
  quarterImage: () => run(hw / 4, 4 * n),
};
const res = {};
for (let round = 0; round < 5; round++)
  for (const [name, f] of Object.entries(variants)) {
    for (let i = 0; i < 2; i++) f();
    const ts = [];
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      f();
      ts.push(performance.now() - t0);
    }
    res[name] = [...(res[name] ?? []), median(ts)];
  }
for (const [k, v] of Object.entries(res))
  console.log(k.padEnd(14), median(v).toFixed(2), 'ms', v.map((x) => x.toFixed(2)).join(' '));
