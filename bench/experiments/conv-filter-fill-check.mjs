// The per-tap matmul Conv2DBackpropFilter vs gflow's fill: values against the cpu backend, speed.
import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { registerTapMatmulFilterGrad } from '../dist/experimental/conv-filter-fill.js';

const mk = () => ({
  x: tf.randomNormal([4, 32, 32, 64], 0, 1, 'float32', 1),
  dy: tf.randomNormal([4, 32, 32, 64], 0, 1, 'float32', 2),
  dyV: tf.randomNormal([4, 30, 30, 64], 0, 1, 'float32', 3),
});
// dW of Σ conv(x, W) ⊙ dy is Conv2DBackpropFilter(x, dy).
const f =
  ({ x, dy, dyV }, pad) =>
  () =>
    tf.tidy(() =>
      tf.grad((w) => tf.sum(tf.mul(tf.conv2d(x, w, 1, pad), pad === 'same' ? dy : dyV)))(
        tf.zeros([3, 3, 64, 64]),
      ),
    );
const rel = (a, b) => {
  let e = 0,
    s = 0;
  for (let i = 0; i < a.length; i++) {
    e = Math.max(e, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return (e / s).toExponential(2);
};
const t = (g, n = 7) => {
  g().dispose();
  const s = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = g();
    r.dataSync();
    r.dispose();
    s.push(performance.now() - t0);
  }
  s.sort((a, b) => a - b);
  return s[n >> 1].toFixed(1);
};
await initBackend({ prefer: 'cpu' });
const refS = f(mk(), 'same')().dataSync(),
  refV = f(mk(), 'valid')().dataSync();
await initBackend({ prefer: 'wasm' });
const d = mk();
console.log('gflow fill      ms', t(f(d, 'same')));
registerTapMatmulFilterGrad();
const before = tf.backend().numDataIds();
console.log(
  'per-tap matmul  ms',
  t(f(d, 'same')),
  ' rel err same',
  rel(f(d, 'same')().dataSync(), refS),
  'valid',
  rel(f(d, 'valid')().dataSync(), refV),
);
console.log('backend data ids left behind', tf.backend().numDataIds() - before - 0);
