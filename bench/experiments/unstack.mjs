// tfjs wasm Unpack along a middle axis vs transpose-then-unpack along axis 0 ([32, 256, 128]).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

await tf.setBackend(process.argv[2] ?? 'wasm');
const u = tf.randomNormal([32, 256, 128]);
const t = (f, n = 3) => {
  tf.dispose(f());
  const s = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = f();
    r[r.length - 1].dataSync();
    tf.dispose(r);
    s.push(performance.now() - t0);
  }
  s.sort((a, b) => a - b);
  return s[n >> 1].toFixed(1);
};
console.log(
  'unstack(u, 1) ms',
  t(() => tf.unstack(u, 1)),
);
console.log(
  'unstack(transpose(u,[1,0,2]), 0) ms',
  t(() => tf.tidy(() => tf.unstack(tf.transpose(u, [1, 0, 2]), 0))),
);
console.log(
  'slice per step ms',
  t(() =>
    Array.from({ length: 256 }, (_, i) =>
      tf.tidy(() => tf.reshape(tf.slice(u, [0, i, 0], [32, 1, 128]), [32, 128])),
    ),
  ),
);
console.log(
  'split(transposed, 256, 0) ms',
  t(() => tf.tidy(() => tf.split(tf.transpose(u, [1, 0, 2]), 256, 0))),
);
const u2 = tf.transpose(u, [1, 0, 2]);
console.log(
  'unstack(pre-transposed, 0) ms',
  t(() => tf.unstack(u2, 0)),
);
console.log(
  'one slice ms',
  t(() => [tf.slice(u2, [5, 0, 0], [1, 32, 128])], 21),
);
