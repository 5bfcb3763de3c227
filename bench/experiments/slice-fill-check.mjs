// The heap-view Slice/Unpack fills: same values as the cpu backend on many slices, and their speed.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerHeapViewSlice } from '../dist/experimental/slice-fill.js';

const shapes = [[32, 256, 128], [7, 5, 3, 4], [10], [6, 9]];
const cases = [];
let seed = 1;
const rnd = () => {
  seed = (seed * 16807) % 2147483647;
  return seed / 2147483647;
};
for (const shape of shapes)
  for (let c = 0; c < 25; c++) {
    const begin = shape.map((d) => Math.floor(rnd() * d));
    const size = shape.map((d, i) => (rnd() < 0.3 ? -1 : 1 + Math.floor(rnd() * (d - begin[i]))));
    cases.push({ shape, begin, size });
  }
const run = () =>
  cases.map(({ shape, begin, size }) =>
    tf.tidy(() => {
      const x = tf
        .range(
          0,
          shape.reduce((a, b) => a * b, 1),
        )
        .reshape(shape);
      return Array.from(tf.slice(x, begin, size).dataSync());
    }),
  );
const unst = () =>
  tf.tidy(() =>
    tf.unstack(tf.range(0, 7 * 5 * 3).reshape([7, 5, 3]), 1).map((t) => Array.from(t.dataSync())),
  );
await tf.setBackend('cpu');
const ref = run();
const refU = unst();
await tf.setBackend('wasm');
registerHeapViewSlice();
const got = run();
const gotU = unst();
const same = JSON.stringify(ref) === JSON.stringify(got) && JSON.stringify(refU) === JSON.stringify(gotU);
console.log(`slices: ${cases.length} random cases + unstack, identical to cpu: ${same}`);
const u = tf.randomNormal([32, 256, 128]);
const t0 = performance.now();
const parts = tf.unstack(u, 1);
parts[255].dataSync();
tf.dispose(parts);
console.log('unstack([32,256,128], 1) ms', (performance.now() - t0).toFixed(1));
if (!same) process.exit(1);
