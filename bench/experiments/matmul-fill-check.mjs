// The transpose-first BatchMatMul fill: same numbers as the cpu backend, and its speed.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerTransposeFirstMatMul } from '../dist/experimental/matmul-fill.js';

await tf.setBackend('cpu');
const mk = () => [
  tf.randomNormal([256, 784], 0, 1, 'float32', 1),
  tf.randomNormal([256, 256], 0, 1, 'float32', 2),
  tf.randomNormal([3, 40, 30], 0, 1, 'float32', 3),
  tf.randomNormal([3, 50, 40], 0, 1, 'float32', 4),
];
const cases = ([x, dy, p, q]) => [
  () => tf.matMul(x, dy, true, false),
  () => tf.matMul(dy, x.slice([0, 0], [256, 256]), false, true),
  () => tf.matMul(p, q, true, true),
];
const ref = cases(mk()).map((f) => f().dataSync());
await tf.setBackend('wasm');
registerTransposeFirstMatMul();
const before = tf.memory().numTensors;
const fs = cases(mk());
fs.forEach((f, i) => {
  const r = f();
  const g = r.dataSync();
  r.dispose();
  let e = 0,
    s = 0;
  for (let j = 0; j < g.length; j++) {
    e = Math.max(e, Math.abs(g[j] - ref[i][j]));
    s = Math.max(s, Math.abs(ref[i][j]));
  }
  console.log('case', i, 'max rel err', (e / s).toExponential(2));
});
const t = (f, n = 9) => {
  f().dispose();
  const s = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = f();
    r.dataSync();
    r.dispose();
    s.push(performance.now() - t0);
  }
  s.sort((a, b) => a - b);
  return s[n >> 1].toFixed(2);
};
console.log('xᵀ·dy ms', t(fs[0]), 'dy·wᵀ ms', t(fs[1]), 'tensors left', tf.memory().numTensors - before - 4);
