// Filter-gradient variants on wasm for x[4,32,32,64], dy[4,32,32,64], 3×3 'same' (what led to
// @gflow/backend's tap-matmul fill):
//   fill (tap matmuls)      the registered Conv2DBackpropFilter: one XNNPACK matmul per tap over
//                           views of the padded input (no copy)
//   batch-as-channels conv  the previous fill: a convolution with the batch as its channels
//   im2colT(2) + matmul     an explicit im2colᵀ [9·C, N·H·W] in JS, then one matmul: the copy
//                           alone costs about as much as the whole tap-matmul fill
//   rows conv               width taps in the batch, (batch, width) as channels, a 1-D conv
//   conv2d fwd              the forward convolution, for scale
// node bench/experiments/filter-grad-im2col.mjs [threads]   (build first: npx tsc -b packages/backend)
import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';

const threads = Number(process.argv[2] ?? 1);
const info = await initBackend({ prefer: 'wasm', threads });
console.log('threads', info.threads);
const backend = tf.backend();
const [N, H, W, C, O] = [4, 32, 32, 64, 64];
const x = tf.randomNormal([N, H, W, C], 0, 1, 'float32', 1);
const dy = tf.randomNormal([N, H, W, O], 0, 1, 'float32', 2);
const heapF32 = () => new Float32Array(backend.wasm.HEAPU8.buffer);
const off = (t) => backend.dataIdMap.get(t.dataId).memoryOffset / 4;

function im2colT(xi) {
  // out[(t, c), (b, p, q)] = x[b, p + i − 1, q + j − 1, c], zero outside; t = 3i + j.
  const K = 9 * C,
    R = N * H * W;
  const out = backend.makeOutput([K, R], 'float32');
  const heap = heapF32();
  const s0 = off(xi),
    d0 = off(out);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) {
      const t = 3 * i + j;
      for (let c = 0; c < C; c++) {
        let d = d0 + (t * C + c) * R;
        for (let b = 0; b < N; b++)
          for (let p = 0; p < H; p++) {
            const h = p + i - 1;
            if (h < 0 || h >= H) {
              heap.fill(0, d, d + W);
              d += W;
              continue;
            }
            const row = s0 + (b * H + h) * W * C + c;
            const q0 = j === 0 ? 1 : 0,
              q1 = j === 2 ? W - 1 : W;
            if (q0 === 1) heap[d] = 0;
            if (q1 === W - 1) heap[d + W - 1] = 0;
            for (let q = q0; q < q1; q++) heap[d + q] = heap[row + (q + j - 1) * C];
            d += W;
          }
      }
    }
  return out;
}
function im2colT2(xi) {
  // Transpose x to [c, b, h, w] with the wasm kernel, then copy contiguous row runs.
  const xt = tf.engine().runKernel('Transpose', { x: xi }, { perm: [3, 0, 1, 2] });
  const K = 9 * C,
    R = N * H * W;
  const out = backend.makeOutput([K, R], 'float32');
  const heap = heapF32();
  const s0 = off(xt),
    d0 = off(out);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) {
      const t = 3 * i + j;
      const q0 = j === 0 ? 1 : 0,
        q1 = j === 2 ? W - 1 : W;
      for (let c = 0; c < C; c++) {
        let d = d0 + (t * C + c) * R;
        for (let b = 0; b < N; b++) {
          const plane = s0 + (c * N + b) * H * W;
          for (let p = 0; p < H; p++) {
            const h = p + i - 1;
            if (h < 0 || h >= H) {
              heap.fill(0, d, d + W);
              d += W;
              continue;
            }
            if (q0 === 1) heap[d] = 0;
            if (q1 === W - 1) heap[d + W - 1] = 0;
            heap.copyWithin(d + q0, plane + h * W + q0 + j - 1, plane + h * W + q1 + j - 1);
            d += W;
          }
        }
      }
    }
  xt.dispose();
  return out;
}
// Horizontal taps into the batch, (batch, width) into the channels, a 1-D conv along the height.
function viaRows() {
  return tf.tidy(() => {
    const xt = tf.pad(tf.transpose(x, [3, 1, 0, 2]), [
      [0, 0],
      [1, 1],
      [0, 0],
      [1, 1],
    ]); // [c, 34, b, 34]
    const xs = tf.stack([0, 1, 2].map((j) => tf.slice(xt, [0, 0, 0, j], [C, H + 2, N, W]))); // [3, c, 34, b, 32]
    const inp = tf.reshape(xs, [3 * C, H + 2, 1, N * W]);
    const f = tf.reshape(tf.transpose(dy, [1, 0, 2, 3]), [H, 1, N * W, O]);
    const out = tf.conv2d(inp, f, 1, 'valid'); // [3c, 3, 1, o] = [j, c, i, o]
    return tf.transpose(tf.reshape(out, [3, C, 3, O]), [2, 0, 1, 3]);
  });
}
// The previous fill: the batch as channels, dy as the filter (XNNPACK convolution).
function viaBatchConv() {
  return tf.tidy(() => {
    const xP = tf.pad(tf.transpose(x, [3, 1, 2, 0]), [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ]);
    const f = tf.transpose(dy, [1, 2, 0, 3]);
    return tf.transpose(tf.conv2d(xP, f, 1, 'valid'), [1, 2, 0, 3]);
  });
}
const viaFill = () =>
  tf
    .engine()
    .runKernel(
      'Conv2DBackpropFilter',
      { x, dy },
      { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, C, O] },
    );
const w0 = tf.randomNormal([3, 3, C, O]);
const a = viaFill(),
  b = viaBatchConv();
const da = a.dataSync(),
  db = b.dataSync();
let num = 0,
  den = 0;
for (let i = 0; i < da.length; i++) {
  num += (da[i] - db[i]) ** 2;
  den += da[i] ** 2;
}
console.log('rel diff', Math.sqrt(num / den));
a.dispose();
b.dispose();
// im2colᵀ (built by `build`) times dy as one matmul.
const viaIm2colWith = (build) => () => {
  const colT = tf.engine().makeTensorFromTensorInfo(build(x));
  const r = tf.tidy(() => tf.reshape(tf.matMul(colT, tf.reshape(dy, [N * H * W, O])), [3, 3, C, O]));
  colT.dispose();
  return r;
};
function time(name, f, reps = 15) {
  for (let i = 0; i < 3; i++) f().dispose();
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const r = f();
    r.dataSync();
    ts.push(performance.now() - t0);
    r.dispose();
  }
  ts.sort((p, q) => p - q);
  console.log(name.padEnd(28), ts[reps >> 1].toFixed(2), 'ms');
}
for (let k = 0; k < 3; k++) {
  time('fill (tap matmuls)', viaFill);
  time('batch-as-channels conv', viaBatchConv);
  time('conv2d fwd', () => tf.conv2d(x, w0, 1, 'same'));
}
time('im2colT + matmul', viaIm2colWith(im2colT));
time('rows conv', viaRows);
time('im2colT2 + matmul', viaIm2colWith(im2colT2));
time('im2colT2 alone', () => {
  const c = im2colT2(x);
  return tf.engine().makeTensorFromTensorInfo(c);
});
time('im2colT alone', () => {
  const c = im2colT(x);
  return tf.engine().makeTensorFromTensorInfo(c);
});
time('conv2d forward', () => tf.conv2d(x, tf.zeros([3, 3, C, O]).add(1), 1, 'same'));
const w = tf.randomNormal([3, 3, C, O]);
time('conv2d forward (fixed w)', () => tf.conv2d(x, w, 1, 'same'));
time('backprop input', () =>
  tf
    .engine()
    .runKernel(
      'Conv2DBackpropInput',
      { dy, filter: w },
      { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: [N, H, W, C] },
    ),
);
