// Which kernels dominate mlp-hessian-top? One hessianEigenvalues call with 2 products, profiled.
import { initBackend, softmaxCrossEntropy } from '@gflow/backend';
import { hessianEigenvalues } from '@gflow/landscape';
import { plainMLP } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';

await initBackend({ prefer: process.argv[2] ?? 'wasm' });
const mlp = plainMLP({
  depth: 2,
  width: 256,
  inputSize: 784,
  outputSize: 10,
  activation: process.argv[3] ?? 'tanh',
  seed: 0,
});
const x = tf.randomNormal([256, 784], 0, 1, 'float32', 11);
const labels = tf.tidy(() => tf.oneHot(tf.randomUniformInt([256], 0, 10, 12), 10).toFloat());
const lossFn = () => tf.tidy(() => softmaxCrossEntropy(labels, mlp.apply(x)));
const opts = { k: 1, method: 'power', maxIter: 2, tol: 1e-300, extremes: false, mode: 'exact', seed: 0 };
hessianEigenvalues(lossFn, mlp, opts);
const t0 = performance.now();
const prof = await tf.profile(() => {
  hessianEigenvalues(lossFn, mlp, opts);
});
console.log('wall ms', (performance.now() - t0).toFixed(0), 'kernels', prof.kernels.length);
const by = new Map();
for (const k of prof.kernels) {
  const e = by.get(k.name) ?? { ms: 0, n: 0 };
  e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  e.n++;
  by.set(k.name, e);
}
for (const [n, e] of [...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15))
  console.log(n.padEnd(24), e.ms.toFixed(1).padStart(8), e.n);
