// Achieved GFLOP/s of each convolution kernel at the geometry of the conv-*-30 workloads
// (x [4, 32, 32, 64], filter [3, 3, 64, 64], stride 1, 'same'), next to the engine's own peak:
// a 512×512×512 matmul on the same engine and thread count. Then, unless --no-breakdown, where
// one whole conv-plain-30 measurement spends its time (every wasm kernel timed unprofiled: wasm
// kernels are synchronous, so a kernel's wall time is its time; a fill's inner kernels count as the
// fill's).
//
//   npx -y pnpm@10 build --filter @gflow/bench...
//   node bench/scripts/conv-gflops.mjs [--threads N|auto] [--reps 40] [--runs 5] [--no-breakdown] [--json]
//
// --threads: wasm threads (default 'auto', what the benchmark uses: min(cores, 8)).
// Each kernel: 5 warm-up calls, then --reps timed calls; the median is reported (and min, max),
// and the median CPU time of the process per call (process.cpuUsage: all threads; with
// --threads 1 it is the kernel's own time, which a loaded machine's descheduling does not inflate,
// so A/B comparisons on a busy machine are best made that way).
// FLOPs per call: 2·N·Ho·Wo·Cout·Cin·Kh·Kw for all three convolution kernels (each does that many
// multiply-adds), 2·512³ for the matmul. The kernels are called the way the backward pass calls
// them: the forward filter and the input-gradient filter stay the same tensor from call to call (as
// a model's weights do within a pass), the output gradient is the same tensor too (the filter
// gradient builds its own packed copy every call, so that costs what it costs in a pass).
// --runs: conv-plain-30 passes for the breakdown (3 warm-ups first); the fastest is printed.
// Not a test: timings depend on the machine and on what else runs on it; report `uptime` with them.
import { execSync } from 'node:child_process';
import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const threadsArg = opt('--threads', 'auto');
const REPS = Number(opt('--reps', '40'));
const RUNS = Number(opt('--runs', '5'));
const BREAKDOWN = !args.includes('--no-breakdown');
const JSON_OUT = args.includes('--json');

const info = await initBackend({
  prefer: 'wasm',
  threads: threadsArg === 'auto' ? 'auto' : Number(threadsArg),
});
const load = () =>
  execSync('uptime')
    .toString()
    .trim()
    .replace(/.*load average: /, '');
const loadBefore = load();

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Times `call` (which returns a tensor), reading the result back so the work is done. */
function timeKernel(call) {
  for (let i = 0; i < 5; i++) {
    const r = call();
    r.dataSync();
    r.dispose();
  }
  const ms = [];
  const cpu = [];
  for (let i = 0; i < REPS; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = call();
    r.dataSync(); // wasm kernels are synchronous; this is a no-copy read of the heap on the host
    ms.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    r.dispose();
  }
  return { median: median(ms), min: Math.min(...ms), max: Math.max(...ms), cpu: median(cpu) };
}

const [N, H, W, C, O, K] = [4, 32, 32, 64, 64, 3];
const x = tf.randomNormal([N, H, W, C], 0, 1, 'float32', 1);
const w = tf.randomNormal([K, K, C, O], 0, 0.05, 'float32', 2);
const dy = tf.randomNormal([N, H, W, O], 0, 1, 'float32', 3);
const a512 = tf.randomNormal([512, 512], 0, 1, 'float32', 4);
const b512 = tf.randomNormal([512, 512], 0, 1, 'float32', 5);
const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1] };
const convFlops = 2 * N * H * W * O * C * K * K;
const run = (name, inputs, a) => tf.engine().runKernel(name, inputs, a);

const rows = [
  {
    kernel: 'MatMul 512×512×512 (peak)',
    flops: 2 * 512 ** 3,
    t: timeKernel(() => run('BatchMatMul', { a: a512, b: b512 }, { transposeA: false, transposeB: false })),
  },
  {
    kernel: 'Conv2D (forward)',
    flops: convFlops,
    t: timeKernel(() => run('Conv2D', { x, filter: w }, attrs)),
  },
  {
    kernel: 'Conv2DBackpropInput',
    flops: convFlops,
    t: timeKernel(() =>
      run('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: [N, H, W, C] }),
    ),
  },
  {
    kernel: 'Conv2DBackpropFilter',
    flops: convFlops,
    t: timeKernel(() => run('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: [K, K, C, O] })),
  },
];
tf.dispose([x, w, dy, a512, b512]);
const peak = rows[0].flops / rows[0].t.median / 1e6;
const table = rows.map((r) => {
  const gflops = r.flops / r.t.median / 1e6;
  return {
    kernel: r.kernel,
    ms: +r.t.median.toFixed(2),
    minMs: +r.t.min.toFixed(2),
    maxMs: +r.t.max.toFixed(2),
    cpuMs: +r.t.cpu.toFixed(2),
    gflops: +gflops.toFixed(1),
    ofPeak: +(gflops / peak).toFixed(2),
  };
});

let breakdown = null;
if (BREAKDOWN) {
  const { workloads } = await import('../dist/workloads/index.js');
  const { sumInto, timeWasmKernels } = await import('../experiments/kernel-timer.mjs');
  const by = new Map();
  timeWasmKernels(sumInto(by));
  const p = await workloads.find((wl) => wl.name === 'conv-plain-30').prepare();
  for (let i = 0; i < 3; i++) await p.run();
  let best = { wall: Number.POSITIVE_INFINITY, by: [] };
  for (let r = 0; r < RUNS; r++) {
    by.clear();
    const t0 = performance.now();
    await p.run();
    const wall = performance.now() - t0;
    if (wall < best.wall) best = { wall, by: [...by].map(([k, e]) => [k, { ...e }]) };
  }
  p.dispose();
  const kernelMs = best.by.reduce((s, [, e]) => s + e.ms, 0);
  breakdown = {
    wallMs: +best.wall.toFixed(0),
    kernelMs: +kernelMs.toFixed(0),
    outsideKernelsMs: +(best.wall - kernelMs).toFixed(0),
    kernels: best.by
      .sort((a, b) => b[1].ms - a[1].ms)
      .map(([k, e]) => ({
        kernel: k,
        ms: +e.ms.toFixed(1),
        calls: e.n,
        msPerCall: +(e.ms / e.n).toFixed(3),
        share: +(e.ms / best.wall).toFixed(3),
      })),
  };
}

const out = {
  date: new Date().toISOString(),
  engine: { name: info.name, simd: info.simd, threads: info.threads },
  load: { before: loadBefore, after: load() },
  geometry: 'x [4,32,32,64], filter [3,3,64,64], stride 1, same',
  reps: REPS,
  table,
  breakdown,
};
if (JSON_OUT) {
  console.log(JSON.stringify(out, null, 1));
} else {
  console.log(
    `${out.date}  wasm, ${info.threads} thread(s), SIMD ${info.simd}; load ${out.load.before} → ${out.load.after}`,
  );
  console.log(`${out.geometry}; median of ${REPS} calls`);
  console.log('| kernel | ms (median) | min–max ms | CPU ms (median) | GFLOP/s | of peak |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of table)
    console.log(`| ${r.kernel} | ${r.ms} | ${r.minMs}–${r.maxMs} | ${r.cpuMs} | ${r.gflops} | ${r.ofPeak} |`);
  if (breakdown) {
    console.log(
      `\nconv-plain-30, fastest of ${RUNS}: wall ${breakdown.wallMs} ms, kernels ${breakdown.kernelMs} ms, outside kernels ${breakdown.outsideKernelsMs} ms`,
    );
    console.log('| kernel | ms | calls | ms/call | share of wall |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    for (const k of breakdown.kernels.slice(0, 14))
      console.log(`| ${k.kernel} | ${k.ms} | ${k.calls} | ${k.msPerCall} | ${(100 * k.share).toFixed(1)}% |`);
  }
}
