// Which call sites issue a workload's kernels (each wasm kernel wrapped; the stack's first frame in
// gflow code, or the tfjs gradient/op that issued it, names the site):
//   node bench/experiments/kernel-sites.mjs NAME [THREADS]
import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { workloads } from '../dist/workloads/index.js';

const [name, threads = '1'] = process.argv.slice(2);
await initBackend({ prefer: 'wasm', threads: Number(threads) });
const by = new Map();
/** A stack frame without the path up to the package. */
const short = (frame, prefix) => (frame ?? '').trim().replace(prefix, '(').slice(0, 90);
let depth = 0;
let on = false;
Error.stackTraceLimit = 60;
for (const k of tf.getKernelsForBackend('wasm')) {
  const f = k.kernelFunc;
  k.kernelFunc = (args) => {
    if (depth > 0 || !on) return f(args);
    const frames = new Error().stack.split('\n').slice(2);
    const grad = frames.find((l) => /gradFunc|Grad|grad_/.test(l) && !/engine/.test(l));
    const own = frames.find((l) => /packages\/|bench\/dist/.test(l));
    const site = `${short(grad, /\(.*node_modules\//)} | ${short(own, /\((file:\/\/)?\/.*?\/(packages|bench)\//)}`;
    const key = `${k.kernelName} @ ${site}`;
    by.set(key, (by.get(key) ?? 0) + 1);
    depth++;
    try {
      return f(args);
    } finally {
      depth--;
    }
  };
}
const w = workloads.find((x) => x.name === name);
const p = await w.prepare();
await p.run();
on = true;
await p.run();
on = false;
let total = 0;
for (const n of by.values()) total += n;
console.log(`${name}: ${total} kernels`);
for (const [n, c] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 60)) console.log(String(c).padStart(6), n);
p.dispose();
