// Times @gflow/core's speed targets against its build (run `npx tsc -b packages/core` first):
//   node bench/scripts/core-speed.mjs [--json out.json]
// - spectral: σ_max of a 1024×1024 N(0,1) matrix (relative tol 1e-6 asked, as the workload requires; the error reached is printed) and all
//   singular values of a 256×256 N(0,1) matrix (the work of bench/peer/WORKLOADS.md `spectral`).
// - lyapunov: top-8 Lyapunov spectrum of 10,000 random 64×64 Jacobians (target < 2 s), with both QR procedures.
// Median of 5 runs after one warm-up; matrices are built once, outside the timing.
import { writeFileSync } from 'node:fs';
import { lyapunovSpectrum, singularValues, spectralNorm } from '@gflow/core';

function rng(seed) {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}
function gaussian(rows, cols, g, scale = 1) {
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = g() * scale;
  return { rows, cols, data };
}
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
/**
 * Median wall time of `repeats` runs after one warm-up, and the median CPU time of this process
 * (user + system): on a shared machine the code here is single-threaded, so CPU time is what the
 * wall time would be without contention.
 */
function time(fn, repeats = 5) {
  fn();
  const samples = [];
  const cpu = [];
  let out;
  for (let r = 0; r < repeats; r++) {
    const c = process.cpuUsage();
    const t = performance.now();
    out = fn();
    samples.push((performance.now() - t) / 1000);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1e6);
  }
  return { seconds: median(samples), cpuSeconds: median(cpu), samples, out };
}

const g = rng(0);
const a = gaussian(1024, 1024, g);
const b = gaussian(256, 256, g);
const result = { workloads: {} };

const exact = singularValues(a)[0];
const opts = { method: 'lanczos', tol: 1e-6 };
const spec = time(() => [spectralNorm(a, opts), singularValues(b)]);
const norm = time(() => spectralNorm(a, opts));
const svd = time(() => singularValues(b));
const relErr = Math.abs(spec.out[0] - exact) / exact;
result.workloads.spectral = {
  seconds: spec.seconds,
  cpuSeconds: spec.cpuSeconds,
  samples: spec.samples,
  relErrorOfNorm: relErr,
};
result.workloads['spectral-norm-1024'] = { seconds: norm.seconds, cpuSeconds: norm.cpuSeconds };
result.workloads['svdvals-256'] = { seconds: svd.seconds, cpuSeconds: svd.cpuSeconds };
console.error(
  `spectral: ${spec.seconds.toFixed(3)} s wall, ${spec.cpuSeconds.toFixed(3)} s CPU (σ_max 1024² by Lanczos ${norm.seconds.toFixed(3)} s / ${norm.cpuSeconds.toFixed(3)} s CPU, rel. error ${relErr.toExponential(2)} vs full SVD; all σ of 256² ${svd.seconds.toFixed(3)} s / ${svd.cpuSeconds.toFixed(3)} s CPU)`,
);

const jac = Array.from({ length: 10_000 }, () => gaussian(64, 64, g, 1 / 8));
for (const qr of ['gram-schmidt', 'householder']) {
  const ly = time(() => lyapunovSpectrum(jac, { k: 8, qr }), 3);
  result.workloads[`lyapunov-8x10000-${qr}`] = {
    seconds: ly.seconds,
    samples: ly.samples,
    top: ly.out.exponents[0],
  };
  console.error(
    `lyapunov (top 8, 10,000 × 64×64, ${qr}): ${ly.seconds.toFixed(3)} s wall, ${ly.cpuSeconds.toFixed(3)} s CPU, λ₁ = ${ly.out.exponents[0].toFixed(4)}`,
  );
}
const i = process.argv.indexOf('--json');
if (i > 0) writeFileSync(process.argv[i + 1], `${JSON.stringify(result, null, 1)}\n`);
