// rnn-lag-256's passes from a fresh process's first (the threaded engine, 2 threads), each split
// into the fused forward and backward kernels, the other kernels and the time outside kernels,
// with the chunks gflow's SIMD helper thread took; then the other kernels' time per pass by name,
// over the first half of the passes and over the second:
//   node bench/experiments/rnn-early-passes.mjs [PASSES]
import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { simdHelper } from '../../packages/backend/dist/internal/simd-helper.js';
import { asWasmHeap } from '../../packages/backend/dist/internal/wasm-heap-view.js';
import { workloads } from '../dist/workloads/index.js';
import { timeWasmKernels } from './kernel-timer.mjs';

const passes = Number(process.argv[2] ?? '13');
await initBackend({ prefer: 'wasm', threads: 2 });
const helper = simdHelper(asWasmHeap(tf.backend()));
const FWD = 'GflowTanhRnnSequence';
const BWD = 'GflowTanhRnnSequenceGrad';
const by = new Map();
const others = [new Map(), new Map()];
let half = 0;
timeWasmKernels((name, ms) => {
  const key = name === FWD || name === BWD ? name : 'other';
  by.set(key, (by.get(key) ?? 0) + ms);
  if (key === 'other') others[half].set(name, (others[half].get(name) ?? 0) + ms);
});
const w = workloads.find((x) => x.name === 'rnn-lag-256');
const p = await w.prepare();
const f1 = (x) => (x ?? 0).toFixed(1).padStart(6);
console.log('pass   wall    fwd    bwd  other outside helped');
for (let i = 0; i < passes; i++) {
  half = i < passes / 2 ? 0 : 1;
  by.clear();
  const helped = helper?.helped ?? 0;
  const t0 = performance.now();
  await p.run();
  const wall = performance.now() - t0;
  let kernels = 0;
  for (const v of by.values()) kernels += v;
  console.log(
    `${String(i).padStart(4)} ${f1(wall)} ${f1(by.get(FWD))} ${f1(by.get(BWD))} ${f1(by.get('other'))} ${f1(wall - kernels)} ${String((helper?.helped ?? 0) - helped).padStart(6)}`,
  );
}
const n = [Math.ceil(passes / 2), passes - Math.ceil(passes / 2)];
others.forEach((m, h) => {
  const top = [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([k, v]) => `${k} ${(v / n[h]).toFixed(2)}`);
  console.log(`other kernels per pass, ${h === 0 ? 'first' : 'second'} half: ${top.join(', ')}`);
});
p.dispose();
process.exit(0);
