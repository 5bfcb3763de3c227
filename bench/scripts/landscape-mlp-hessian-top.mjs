// Times the `mlp-hessian-top` workload of bench/peer/WORKLOADS.md through the public
// API: MLP 784-256-256-10 (tanh), batch 256 of N(0, 1) inputs with random labels, softmax
// cross-entropy, 20 power iterations of exact Hessian-vector products for the top eigenvalue.
// Median of 3 runs after one warm-up; prints JSON. Needs a build: `npx tsc -b packages/landscape`.
//
//   node bench/scripts/landscape-mlp-hessian-top.mjs [--backend wasm|cpu] [--runs 3]
import { initBackend, softmaxCrossEntropy } from '@gflow/backend';
import { hessianEigenvalues } from '@gflow/landscape';
import * as tf from '@tensorflow/tfjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const info = await initBackend({ prefer: arg('backend', 'auto') });
const runs = Number(arg('runs', '3'));

const sizes = [784, 256, 256, 10];
const params = [];
for (let i = 0; i < 3; i++) {
  const k = tf.randomNormal([sizes[i], sizes[i + 1]], 0, 1 / Math.sqrt(sizes[i]), 'float32', 10 + i);
  params.push({ name: `l${i}.kernel`, role: 'kernel', variable: tf.variable(k, true, `l${i}.kernel`) });
  params.push({
    name: `l${i}.bias`,
    role: 'bias',
    variable: tf.variable(tf.zeros([sizes[i + 1]]), true, `l${i}.bias`),
  });
}
const x = tf.randomNormal([256, 784], 0, 1, 'float32', 1);
const labels = tf.oneHot(tf.randomUniform([256], 0, 10, 'int32', 2), 10).toFloat();
const lossFn = () =>
  tf.tidy(() => {
    let h = x;
    for (let i = 0; i < 3; i++) {
      h = tf.add(tf.matMul(h, params[2 * i].variable), params[2 * i + 1].variable);
      if (i < 2) h = tf.tanh(h);
    }
    return softmaxCrossEntropy(labels, h);
  });

const once = () =>
  hessianEigenvalues(lossFn, params, {
    k: 1,
    method: 'power',
    maxIter: 20,
    tol: 1e-30,
    extremes: false,
    mode: 'exact',
  });
once();
const samples = [];
let last;
for (let r = 0; r < runs; r++) {
  const t = performance.now();
  last = once();
  samples.push((performance.now() - t) / 1000);
}
samples.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    backend: info.name,
    workloads: {
      'mlp-hessian-top': {
        seconds: samples[Math.floor(samples.length / 2)],
        samples,
        eigenvalue: last.eigenvalues[0],
        hessianVectorProducts: last.hessianVectorProducts,
      },
    },
  }),
);
