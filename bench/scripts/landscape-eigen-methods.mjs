// Power iteration (residual test, Rayleigh–Ritz on the deflated vectors) against restarted Lanczos
// for the top 3 Hessian eigenvalues by magnitude, against the exact float64 spectra of
// packages/landscape/fixtures/hessian-fixtures.json (PyTorch; see make-hessian-fixtures.py
// there): a 5-8-3 tanh MLP (75 parameters) and a conv + batch-norm net (207 parameters), rebuilt
// here from the same float32 weights and data. Median time of 3 runs after one warm-up; prints a Markdown table.
// Needs a build: `npx -y pnpm@10 build`.
//
//   node bench/scripts/landscape-eigen-methods.mjs [--backend wasm|cpu] [--runs 3]
import { readFileSync } from 'node:fs';
import { initBackend, softmaxCrossEntropy } from '@gflow/backend';
import { hessianEigenvalues } from '@gflow/landscape';
import * as tf from '@tensorflow/tfjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const info = await initBackend({ prefer: arg('backend', 'auto') });
const runs = Number(arg('runs', '3'));
const fixtures = JSON.parse(
  readFileSync(new URL('../../packages/landscape/fixtures/hessian-fixtures.json', import.meta.url), 'utf8'),
);

function build(c, forward) {
  const params = c.params.map((p) => ({
    name: p.name,
    role: 'other',
    variable: tf.variable(tf.tensor(p.values, p.shape, 'float32'), true, `m.${p.name}.${Math.random()}`),
  }));
  const x = tf.tensor(c.x, c.xShape, 'float32');
  const classes = c.params.at(-1).shape[0];
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(c.labels, 'int32'), classes).toFloat());
  const vars = params.map((p) => p.variable);
  return { params, lossFn: () => tf.tidy(() => softmaxCrossEntropy(y, forward(x, vars))) };
}

const nets = {
  'tanh MLP 5-8-3 (75)': build(fixtures.cases.tanhMlp, (x, [w1, b1, w2, b2]) =>
    tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(x, w1), b1)), w2), b2),
  ),
  'conv + BN (207)': build(fixtures.cases.convBn, (x, [k, gamma, beta, w, b]) => {
    const z = tf.conv2d(x, k, 1, 'valid');
    const { mean, variance } = tf.moments(z, [0, 1, 2], true);
    const a = tf.tanh(
      tf.add(tf.mul(tf.div(tf.sub(z, mean), tf.sqrt(tf.add(variance, fixtures.bnEps))), gamma), beta),
    );
    return tf.add(tf.matMul(tf.reshape(a, [x.shape[0], -1]), w), b);
  }),
};
const exact = {
  'tanh MLP 5-8-3 (75)': fixtures.cases.tanhMlp.topByMagnitude.slice(0, 3),
  'conv + BN (207)': fixtures.cases.convBn.topByMagnitude.slice(0, 3),
};

const configs = [
  ['lanczos (default)', { k: 3 }],
  ['power', { k: 3, method: 'power' }],
  ['lanczos, tol 1e-6, maxIter 1000', { k: 3, tol: 1e-6, maxIter: 1000 }],
  ['power, tol 1e-6, maxIter 1000', { k: 3, tol: 1e-6, maxIter: 1000, method: 'power' }],
];

const rows = [];
for (const [name, net] of Object.entries(nets)) {
  hessianEigenvalues(net.lossFn, net.params, { k: 3 }); // warm-up
  for (const [label, opts] of configs) {
    const times = [];
    let r;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      r = hessianEigenvalues(net.lossFn, net.params, opts);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const err = Math.max(...r.eigenvalues.map((v, i) => Math.abs(v - exact[name][i])));
    rows.push({
      net: name,
      method: label,
      seconds: times[Math.floor(times.length / 2)] / 1000,
      maxAbsError: err,
      products: r.hessianVectorProducts,
      iterations: r.iterations.join('/'),
      converged: r.converged.map((c) => (c ? 'y' : 'n')).join(''),
      maxResidual: Math.max(...r.residuals),
      stopReason: r.stopReason,
    });
  }
}
console.log(`backend: ${info.backend ?? tf.getBackend()}, median of ${runs}`);
console.log(
  '| net | method | time (s) | max abs error, top 3 | HVPs (all) | iterations per eigenvalue | converged | max residual | stop |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  console.log(
    `| ${r.net} | ${r.method} | ${r.seconds.toFixed(2)} | ${r.maxAbsError.toExponential(1)} | ${r.products} | ${r.iterations} | ${r.converged} | ${r.maxResidual.toExponential(1)} | ${r.stopReason} |`,
  );
}
