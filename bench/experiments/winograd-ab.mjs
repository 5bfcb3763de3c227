// A workload's passes with gflow's wasm SIMD module on and off, alternating in one process (the
// threaded engine, 2 threads), after 2 passes of warm-up: the median of each, and every pass. For
// the conv workloads "off" is the engine before the Winograd convolutions (XNNPACK's Conv2D, the
// input gradient through it, the filter gradient as XNNPACK tap matmuls; the module serves
// nothing else there):
//   node bench/experiments/winograd-ab.mjs NAME [PASSES]
import { initBackend } from '@gflow/backend';
import { useSimdWasm } from '../../packages/backend/dist/internal/simd-wasm.js';
import { workloads } from '../dist/workloads/index.js';

const [name, passes = '12'] = process.argv.slice(2);
await initBackend({ prefer: 'wasm', threads: 2 });
const w = workloads.find((x) => x.name === name);
if (w === undefined) throw new Error(`no workload ${name}`);
const p = await w.prepare();
const on = [];
const off = [];
for (let i = 0; i < Number(passes); i++) {
  useSimdWasm(i % 2 === 0);
  const t0 = performance.now();
  await p.run();
  const ms = performance.now() - t0;
  if (i >= 2) (i % 2 === 0 ? on : off).push(ms);
}
useSimdWasm(true);
const med = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
const show = (a) => a.map((x) => x.toFixed(0)).join(', ');
console.log(
  `${name}: median ms per pass with the SIMD module ${med(on).toFixed(1)} [${show(on)}], without ${med(off).toFixed(1)} [${show(off)}]`,
);
p.dispose();
process.exit(0);
