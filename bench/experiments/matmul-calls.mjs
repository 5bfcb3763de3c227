// Each distinct BatchMatMul call of a workload (shapes, transpose flags), its median time inside
// the workload, and the same call in isolation with a fresh `b` each call (as after an optimizer
// update) and with a reused `b` (XNNPACK's packed weights cached):
//   node bench/experiments/matmul-calls.mjs NAME [THREADS] [--again]
// --again repeats each call at once inside the workload (the second one finds b's operator cached).
import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { workloads } from '../dist/workloads/index.js';

const [name, threads = '2'] = process.argv.slice(2);
await initBackend({ prefer: 'wasm', threads: Number(threads) });
const calls = new Map();
let on = false;
const again = process.argv.includes('--again');
const k = tf.getKernel('BatchMatMul', 'wasm');
const f = k.kernelFunc;
k.kernelFunc = (args) => {
  if (!on) return f(args);
  const { a, b } = args.inputs;
  const key = `${JSON.stringify(a.shape)}${args.attrs.transposeA ? 'ᵀ' : ''}·${JSON.stringify(b.shape)}${args.attrs.transposeB ? 'ᵀ' : ''}`;
  const t0 = performance.now();
  const r = f(args);
  const e = calls.get(key) ?? {
    ms: [],
    again: [],
    a: a.shape,
    b: b.shape,
    tA: !!args.attrs.transposeA,
    tB: !!args.attrs.transposeB,
  };
  e.ms.push(performance.now() - t0);
  if (again) {
    // The same call once more, in the workload's own context (b's operator is cached now when
    // the call multiplies by b itself).
    const t1 = performance.now();
    const r2 = f(args);
    e.again.push(performance.now() - t1);
    args.backend.disposeData(r2.dataId);
  }
  calls.set(key, e);
  return r;
};
const w = workloads.find((x) => x.name === name);
const p = await w.prepare();
p.run();
on = true;
p.run();
on = false;
p.dispose();
const med = (s) => [...s].sort((x, y) => x - y)[s.length >> 1];
const iso = (e, fresh) => {
  const a = tf.randomNormal(e.a);
  let b = tf.randomNormal(e.b);
  const s = [];
  for (let i = 0; i < 25; i++) {
    if (fresh) {
      const nb = tf.add(b, 0);
      b.dispose();
      b = nb;
    }
    const t0 = performance.now();
    const c = tf.matMul(a, b, e.tA, e.tB);
    s.push(performance.now() - t0);
    c.dispose();
  }
  tf.dispose([a, b]);
  return med(s.slice(5));
};
let tot = 0;
for (const [key, e] of calls) {
  const [m, kk] = e.tA ? [e.a[1], e.a[0]] : e.a;
  const n = e.tB ? e.b[0] : e.b[1];
  const fl = 2 * m * kk * n;
  const inW = med(e.ms);
  tot += e.ms.reduce((x, y) => x + y, 0);
  console.log(
    `${key.padEnd(28)} n=${String(e.ms.length).padStart(3)} workload ${inW.toFixed(3)} ms (${(fl / inW / 1e6).toFixed(1)} GF/s)${again ? `  again ${med(e.again).toFixed(3)}` : ''}  iso fresh-b ${iso(e, true).toFixed(3)}  iso same-b ${iso(e, false).toFixed(3)}`,
  );
}
console.log(`total BatchMatMul in one run: ${tot.toFixed(1)} ms`);
