// What a fresh `b` costs tfjs-wasm's XNNPACK matmul (operator creation + weight packing), what the
// transposes cost, by shape:  node bench/experiments/matmul-pack-cost.mjs [THREADS]
import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { replacedKernel } from '../../packages/backend/dist/register-kernel-fills.js';

await initBackend({ prefer: 'wasm', threads: Number(process.argv[2] ?? 2) });
const med = (s) => [...s].sort((x, y) => x - y)[s.length >> 1];
const backend = tf.backend();
const stock = replacedKernel('BatchMatMul', 'wasm');
const raw = (a, b, tA = false, tB = false) =>
  stock.kernelFunc({ inputs: { a, b }, backend, attrs: { transposeA: tA, transposeB: tB } });
function time(setup, f, n = 25) {
  const s = [];
  for (let i = 0; i < n; i++) {
    const st = setup();
    const t0 = performance.now();
    const r = f(st);
    s.push(performance.now() - t0);
    backend.disposeData(r.dataId);
    st.cleanup?.();
  }
  return med(s.slice(5));
}
for (const [m, k, n] of [
  [128, 784, 512],
  [128, 512, 512],
  [512, 512, 128],
  [512, 128, 512],
  [784, 128, 512],
  [512, 128, 784],
  [128, 512, 10],
]) {
  const a = tf.randomNormal([m, k]);
  const b = tf.randomNormal([k, n]);
  const same = time(
    () => ({}),
    () => raw(a, b),
  );
  const fresh = time(
    () => {
      const c = tf.add(b, 0);
      return { c, cleanup: () => c.dispose() };
    },
    (st) => raw(a, st.c),
  );
  const fl = 2 * m * k * n;
  console.log(
    `[${m},${k}]·[${k},${n}]  same-b ${same.toFixed(3)} ms (${(fl / same / 1e6).toFixed(0)} GF/s)  fresh-b ${fresh.toFixed(3)}  pack ${(fresh - same).toFixed(3)} ms = ${(((fresh - same) * 1e6) / (k * n)).toFixed(2)} ns/float`,
  );
  tf.dispose([a, b]);
}
// Stock kernel with transpose flags (fresh b each call).
for (const [m, k, n] of [[128, 512, 512]]) {
  const dy = tf.randomNormal([m, n]);
  const w = tf.randomNormal([k, n]);
  console.log(
    `stock dy·wᵀ tB [${m},${n}]·[${k},${n}]ᵀ ${time(
      () => ({}),
      () => raw(dy, w, false, true),
    ).toFixed(3)} ms`,
  );
  tf.dispose([dy, w]);
}
// Transposes.
for (const [r, c] of [
  [512, 512],
  [128, 512],
  [784, 512],
  [128, 784],
]) {
  const x = tf.randomNormal([r, c]);
  const tk = tf.getKernel('Transpose', 'wasm');
  const kt = time(
    () => ({}),
    () => tk.kernelFunc({ inputs: { x }, backend, attrs: { perm: [1, 0] } }),
  );
  console.log(
    `Transpose kernel [${r},${c}] ${kt.toFixed(3)} ms = ${((kt * 1e6) / (r * c)).toFixed(2)} ns/float`,
  );
  x.dispose();
}
