// Unprofiled kernel times of a workload run (each wasm kernel's kernelFunc wrapped with a timer;
// wasm kernels are synchronous, so the wall time of the call is the kernel's); of RUNS runs
// (default 5) the fastest is printed, which is the least disturbed by the machine's noise:
//   node bench/experiments/kernel-times.mjs NAME [THREADS] [RUNS]
import { initBackend } from '@gflow/backend';
import { workloads } from '../dist/workloads/index.js';
import { sumInto, timeWasmKernels } from './kernel-timer.mjs';

const [name, threads = '1', runs = '5'] = process.argv.slice(2);
await initBackend({ prefer: 'wasm', threads: Number(threads) });
const by = new Map();
timeWasmKernels(sumInto(by));
const w = workloads.find((x) => x.name === name);
const p = await w.prepare();
for (let i = 0; i < 3; i++) await p.run();
let best = { wall: Number.POSITIVE_INFINITY, by: new Map() };
for (let r = 0; r < Number(runs); r++) {
  by.clear();
  const t0 = performance.now();
  await p.run();
  const wall = performance.now() - t0;
  if (wall < best.wall) best = { wall, by: new Map([...by].map(([k, e]) => [k, { ...e }])) };
}
const { wall } = best;
by.clear();
for (const [k, e] of best.by) by.set(k, e);
let total = 0;
for (const e of by.values()) total += e.ms;
console.log(
  `${name}, ${threads} thread(s): wall ${wall.toFixed(0)} ms, kernels ${total.toFixed(0)} ms, outside kernels ${(wall - total).toFixed(0)} ms`,
);
for (const [n, e] of [...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, 16))
  console.log(' ', n.padEnd(24), e.ms.toFixed(1).padStart(8), String(e.n).padStart(6));
p.dispose();
