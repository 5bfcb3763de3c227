// Shared by helper-ab.mjs and winograd-ab.mjs: a workload's passes with a switch on and off,
// alternating in one process (the threaded engine, 2 threads), after 2 passes of warm-up; prints
// the median of each and every pass.
import { initBackend } from '@gflow/backend';
import { workloads } from '../dist/workloads/index.js';

/**
 * @param {string} name the workload
 * @param {number} passes passes in all (the first 2 are warm-up)
 * @param {(on: boolean) => unknown} turn sets the switch
 * @param {string} what what the switch turns on, for the printout
 */
export async function abPasses(name, passes, turn, what) {
  await initBackend({ prefer: 'wasm', threads: 2 });
  const w = workloads.find((x) => x.name === name);
  if (w === undefined) throw new Error(`no workload ${name}`);
  const p = await w.prepare();
  const on = [];
  const off = [];
  for (let i = 0; i < passes; i++) {
    turn(i % 2 === 0);
    const t0 = performance.now();
    await p.run();
    const ms = performance.now() - t0;
    if (i >= 2) (i % 2 === 0 ? on : off).push(ms);
  }
  turn(true);
  const med = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
  const show = (a) => a.map((x) => x.toFixed(0)).join(', ');
  console.log(
    `${name}: median ms per pass with ${what} ${med(on).toFixed(1)} [${show(on)}], without ${med(off).toFixed(1)} [${show(off)}]`,
  );
  p.dispose();
}
