// CPU time of each thread of the process (from /proc/self/task, Linux) over 40 warm passes of a
// workload (the threaded engine, 2 threads), beside the wall time: how busy the kernel's thread,
// gflow's SIMD helper, XNNPACK's pool thread and V8's own threads keep the cores:
//   node bench/experiments/thread-cpu.mjs [NAME]
import { readdirSync, readFileSync } from 'node:fs';
import { initBackend } from '@gflow/backend';
import { workloads } from '../dist/workloads/index.js';

await initBackend({ prefer: 'wasm', threads: 2 });
const tick = 100; // USER_HZ
const snap = () => {
  const m = new Map();
  for (const t of readdirSync('/proc/self/task')) {
    const s = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
    const comm = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    m.set(t, { comm, cpu: (Number(f[11]) + Number(f[12])) * (1000 / tick) });
  }
  return m;
};
const name = process.argv[2] ?? 'rnn-lag-256';
const p = await workloads.find((x) => x.name === name).prepare();
for (let i = 0; i < 3; i++) await p.run();
const a = snap();
const t0 = performance.now();
const walls = [];
for (let i = 0; i < 40; i++) {
  const s = performance.now();
  await p.run();
  walls.push(performance.now() - s);
}
const wall = performance.now() - t0;
const b = snap();
const rows = [];
for (const [t, v] of b) {
  const d = v.cpu - (a.get(t)?.cpu ?? 0);
  if (d > 0) rows.push(`${v.comm}(${t}) ${d.toFixed(0)} ms`);
}
walls.sort((x, y) => x - y);
console.log(
  `${name}, 40 passes: wall ${wall.toFixed(0)} ms, median pass ${walls[20].toFixed(1)}; CPU by thread: ${rows.join(', ')}`,
);
process.exit(0);
