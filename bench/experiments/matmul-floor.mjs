// The matmul rate of gflow's default engine (initBackend: wasm with gflow's fills, 2 threads, as
// `pnpm bench` runs it) at the shapes the matmul-bound workloads multiply, for the floor of each
// ratio against PyTorch (its side: matmul_floor_torch.py, the same shapes and protocol):
//   node bench/experiments/matmul-floor.mjs [THREADS]
// Median of 41 calls after 5 warm-up calls; each call's result is read back (dataSync).
import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';

const threads = Number(process.argv[2] ?? 2);
await initBackend({ prefer: 'wasm', threads });
const shapes = [
  ['512³ (the engine peak)', 512, 512, 512],
  ['mlp-train-50 [128,784]·[784,512]', 128, 784, 512],
  ['mlp-train-50 [128,512]·[512,512]', 128, 512, 512],
  ['mlp-hessian-top [256,784]·[784,256]', 256, 784, 256],
  ['rnn-lag-256 step [32,128]·[128,128]', 32, 128, 128],
];
for (const [name, m, k, n] of shapes) {
  const a = tf.randomNormal([m, k]);
  const b = tf.randomNormal([k, n]);
  const once = () => {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
    return performance.now() - t0;
  };
  for (let i = 0; i < 5; i++) once();
  const s = Array.from({ length: 41 }, once).sort((x, y) => x - y);
  const ms = s[20];
  console.log(`${name.padEnd(40)} ${ms.toFixed(3)} ms  ${((2 * m * k * n) / ms / 1e6).toFixed(1)} GFLOP/s`);
  tf.dispose([a, b]);
}
