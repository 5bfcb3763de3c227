// tfjs wasm BatchMatMul speed by transpose flags (the shapes of an MLP's backward pass).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

await tf.setBackend(process.argv[2] ?? 'wasm');
const x = tf.randomNormal([256, 784]),
  w = tf.randomNormal([784, 256]),
  dy = tf.randomNormal([256, 256]);
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
console.log(
  'x·w            [256,784]x[784,256] ms',
  t(() => tf.matMul(x, w)),
);
console.log(
  'dy·wᵀ (tB)     [256,256]x[256,784]ᵀ ms',
  t(() => tf.matMul(dy, w, false, true)),
);
console.log(
  'xᵀ·dy (tA)     [256,784]ᵀx[256,256] ms',
  t(() => tf.matMul(x, dy, true, false)),
);
console.log(
  'transpose+mm   ms',
  t(() => tf.tidy(() => tf.matMul(tf.transpose(x), dy))),
);
