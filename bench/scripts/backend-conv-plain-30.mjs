// Times one forward + backward pass of `conv-plain-30` (bench/peer/WORKLOADS.md):
// 30 blocks of conv3x3 → batch norm (training statistics) → ReLU → conv3x3 → batch norm → ReLU,
// 64 channels, no conv bias, input 4×32×32×64 from N(0, 1), loss = sum of the output; the pass
// yields the gradient norm at every block output and every parameter's gradient norm, read back
// to the host. Median of several runs after one warm-up. Also times the wasm Conv2DBackpropInput
// fill against tfjs's own kernel, and the Conv2DBackpropFilter fill against the forward conv2d.
//
//   npx tsc -b packages/backend && node bench/scripts/backend-conv-plain-30.mjs [wasm|cpu ...] [--runs N]
//
// Not a test: timings depend on the machine and on what else runs on it.

import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { replacedKernel } from '../../packages/backend/dist/register-kernel-fills.js';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const RUNS = runsAt >= 0 ? Number(args[runsAt + 1]) : 5;
const engines = args.filter((a, i) => !a.startsWith('--') && (runsAt < 0 || i !== runsAt + 1));
const DEPTH = 30;
const CH = 64;
const XS = [4, 32, 32, CH];

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function buildModel() {
  const he = Math.sqrt(2 / (9 * CH));
  const params = [];
  for (let b = 0; b < DEPTH; b++) {
    for (const j of [1, 2]) {
      params.push({
        name: `blocks.${b}.conv${j}.kernel`,
        v: tf.variable(tf.randomNormal([3, 3, CH, CH], 0, he, 'float32', 1000 + 2 * b + j)),
      });
      params.push({ name: `blocks.${b}.bn${j}.gamma`, v: tf.variable(tf.ones([CH])) });
      params.push({ name: `blocks.${b}.bn${j}.beta`, v: tf.variable(tf.zeros([CH])) });
    }
  }
  const x = tf.randomNormal(XS, 0, 1, 'float32', 7);
  return { params, x };
}

/** One forward + backward pass; returns block-output and parameter gradient norms as numbers. */
function pass({ params, x }) {
  const tapNorms = [];
  const tap = tf.customGrad((h) => ({
    value: tf.clone(h),
    gradFunc: (dy) => {
      tapNorms.push(tf.keep(tf.norm(dy)));
      return dy;
    },
  }));
  const { value, grads } = tf.variableGrads(() => {
    let h = x;
    for (let b = 0; b < DEPTH; b++) {
      for (const j of [0, 1]) {
        const [k, gamma, beta] = params.slice(6 * b + 3 * j, 6 * b + 3 * j + 3).map((p) => p.v);
        const y = tf.conv2d(h, k, 1, 'same');
        const { mean, variance } = tf.moments(y, [0, 1, 2]);
        h = tf.relu(tf.batchNorm(y, mean, variance, beta, gamma, 1e-5));
      }
      h = tap(h);
    }
    return tf.sum(h);
  });
  const stacked = tf.tidy(() => tf.stack(params.map((p) => tf.norm(grads[p.v.name]))));
  const paramNorms = stacked.dataSync();
  stacked.dispose();
  const blockNorms = tf.stack(tapNorms).dataSync();
  tf.dispose(tapNorms);
  tf.dispose(grads);
  value.dispose();
  return { blockNorms: Array.from(blockNorms).reverse(), paramNorms: Array.from(paramNorms) };
}

function time(fn, runs) {
  fn();
  const ts = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    ts.push(performance.now() - t);
  }
  return ts;
}

const results = {};
for (const engine of engines.length > 0 ? engines : ['wasm', 'cpu']) {
  const info = await initBackend({ prefer: engine });
  if (engine === 'wasm') {
    // Kernel micro-benchmarks at the workload's shape.
    const x = tf.randomNormal(XS, 0, 1, 'float32', 1);
    const w = tf.randomNormal([3, 3, CH, CH], 0, 0.05, 'float32', 2);
    const dy = tf.randomNormal(XS, 0, 1, 'float32', 3);
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC' };
    const backend = tf.backend();
    const own = replacedKernel('Conv2DBackpropInput', 'wasm');
    // tfjs's kernel binds its wasm function in setupFunc, which ran only for registered kernels.
    own?.setupFunc?.(backend);
    // (Not tf.tidy(() => fn().dataSync()): tidy walks a returned typed array element by element.)
    const k = (fn) =>
      median(
        time(() => {
          const r = fn();
          r.dataSync();
          r.dispose();
        }, 5),
      );
    const micro = {
      conv2dMs: k(() => tf.conv2d(x, w, 1, 'same')),
      backpropInputFillMs: k(() =>
        tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: XS }),
      ),
      backpropInputTfjsMs: own
        ? median(
            time(() => {
              const out = own.kernelFunc({
                inputs: { dy, filter: w },
                backend,
                attrs: { ...attrs, inputShape: XS },
              });
              backend.readSync(out.dataId);
              backend.disposeData(out.dataId);
            }, 3),
          )
        : null,
      backpropFilterFillMs: k(() =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: [3, 3, CH, CH] }),
      ),
    };
    tf.dispose([x, w, dy]);
    console.log(JSON.stringify({ wasmKernels: micro }));
  }
  const model = buildModel();
  const runs = engine === 'cpu' ? Math.min(RUNS, 2) : RUNS;
  let last;
  const ts = time(() => {
    last = pass(model);
  }, runs);
  results[engine] = {
    backend: info.name,
    simd: info.simd,
    threads: info.threads,
    fills: info.fills.filter((f) => f.startsWith('kernel:')),
    runsMs: ts.map((t) => Math.round(t)),
    medianSeconds: median(ts) / 1000,
    firstBlockGradNorm: last.blockNorms[0],
    lastBlockGradNorm: last.blockNorms.at(-1),
  };
  if (process.env.PROFILE) {
    const profile = await tf.profile(() => pass(model));
    const byKernel = {};
    for (const k of profile.kernels) byKernel[k.name] = (byKernel[k.name] ?? 0) + k.kernelTimeMs;
    const top = Object.entries(byKernel)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10);
    console.log(JSON.stringify({ [`${engine}Profile`]: top.map(([n, ms]) => [n, Math.round(ms)]) }));
  }
  tf.dispose([model.x, ...model.params.map((p) => p.v)]);
  console.log(JSON.stringify({ [engine]: results[engine] }));
}
