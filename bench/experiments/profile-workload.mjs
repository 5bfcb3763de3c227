// Kernel-time profile of one run of a workload (after a warm-up):
//   node bench/experiments/profile-workload.mjs NAME [THREADS]
// tf.profile times a fill as one kernel but adds its own overhead to fills that run several
// kernels inside (Conv2DBackpropFilter): read shares and counts, and time fills unprofiled.
import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { workloads } from '../dist/workloads/index.js';

const name = process.argv[2];
await initBackend({ prefer: 'wasm', threads: Number(process.argv[3] ?? 1) });
const w = workloads.find((x) => x.name === name);
const p = await w.prepare();
await p.run();
const t0 = performance.now();
const prof = await tf.profile(async () => {
  await p.run();
});
const wall = performance.now() - t0;
const by = new Map();
let total = 0;
for (const k of prof.kernels) {
  const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  total += ms;
  const e = by.get(k.name) ?? { ms: 0, n: 0 };
  e.ms += ms;
  e.n++;
  by.set(k.name, e);
}
console.log(
  `${name}: wall ${wall.toFixed(0)} ms (profiled), kernels ${prof.kernels.length}, kernel time ${total.toFixed(0)} ms`,
);
for (const [n, e] of [...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, 14))
  console.log(' ', n.padEnd(26), e.ms.toFixed(1).padStart(9), String(e.n).padStart(6));
p.dispose();
