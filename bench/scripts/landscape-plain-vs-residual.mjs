// Measures the curvature of a plain and a residual MLP of the same depth and width, at
// initialization and after the same short training, on the same teacher–student task (MSE):
// the top Hessian eigenvalue (power iteration on Hessian-vector products), the Hessian trace
// (Hutchinson), and the sharpness along filter-normalized random directions (Li et al. 2018):
// the loss increase at α = ±0.5 and ±1, and the directional curvature dᵀHd.
// Needs a build: `npx tsc -b packages/landscape`. Prints JSON.
//
//   node bench/scripts/landscape-plain-vs-residual.mjs [--depth 16] [--width 32] [--steps 300]
import { initBackend, meanSquaredError } from '@gflow/backend';
import {
  hessianEigenvalues,
  hessianTrace,
  hessianVectorProduct,
  lossLine,
  randomDirection,
} from '@gflow/landscape';
import { plainMLP, residualMLP, teacherStudent } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const depth = arg('depth', 16);
const width = arg('width', 32);
const steps = arg('steps', 300);
const lr = arg('lr', 0.002);
const info = await initBackend();

const task = teacherStudent({ inputSize: 16, outputSize: 1, teacherDepth: 2, seed: 1 });
const evalBatch = task.batch(512);

function measure(model) {
  const lossFn = () => tf.tidy(() => meanSquaredError(evalBatch.targets, model.apply(evalBatch.inputs)));
  const eig = hessianEigenvalues(lossFn, model, { k: 1, extremes: true });
  const trace = hessianTrace(lossFn, model, { samples: 30, seed: 1 });
  const directions = [0, 1, 2].map((seed) => randomDirection(model, { normalization: 'filter', seed }));
  const lines = directions.map((d) => lossLine(lossFn, model, d, { range: [-1, 1], points: 5 }));
  const curv = directions.map((d) => {
    const hv = hessianVectorProduct(lossFn, model, d).product;
    let s = 0;
    for (const [i, p] of hv.entries()) {
      for (const [j, x] of p.values.entries()) s += x * d[i].values[j];
    }
    return s;
  });
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    loss: eig.loss,
    topEigenvalue: eig.eigenvalues[0],
    topConverged: eig.converged[0],
    lambdaMin: eig.lambdaMin,
    trace: trace.trace,
    traceStandardError: trace.standardError,
    // losses at α = −1, −0.5, 0, 0.5, 1 along each direction
    sharpnessHalf: mean(lines.map((l) => (l.losses[1] + l.losses[3]) / 2 - l.centerLoss)),
    sharpnessOne: mean(lines.map((l) => (l.losses[0] + l.losses[4]) / 2 - l.centerLoss)),
    directionalCurvature: mean(curv),
    nonFiniteAlongLines: lines.reduce((s, l) => s + l.nonFinite.length, 0),
    mode: eig.mode,
  };
}

function train(model) {
  const opt = tf.train.sgd(lr);
  const vars = model.parameters().map((p) => p.variable);
  const curve = [];
  for (let i = 0; i < steps; i++) {
    const b = task.batch(128);
    const l = opt.minimize(() => meanSquaredError(b.targets, model.apply(b.inputs)), true, vars);
    if (i % 50 === 0 || i === steps - 1) curve.push([i, l.dataSync()[0]]);
    l.dispose();
    b.inputs.dispose();
    b.targets.dispose();
  }
  opt.dispose();
  return curve;
}

const out = { backend: info.name, depth, width, steps, lr, task: 'teacherStudent(16 → 1), MSE', models: {} };
for (const [name, make] of [
  [
    'plain',
    () => plainMLP({ depth, width, inputSize: 16, outputSize: 1, activation: 'relu', init: 'he', seed: 3 }),
  ],
  // branchScale 1/√depth keeps the residual stream's variance bounded without normalization layers.
  [
    'residual',
    () =>
      residualMLP({
        depth,
        width,
        inputSize: 16,
        outputSize: 1,
        activation: 'relu',
        init: 'he',
        seed: 3,
        branchScale: 1 / Math.sqrt(depth),
      }),
  ],
]) {
  const model = make();
  const atInit = measure(model);
  const trainingLoss = train(model);
  let trained;
  try {
    trained = measure(model);
  } catch (e) {
    trained = { error: String(e.message) };
  }
  out.models[name] = {
    parameters: model.parameters().reduce((s, p) => s + p.variable.size, 0),
    atInit,
    trainingLoss,
    trained,
  };
  model.dispose();
}
console.log(JSON.stringify(out, null, 1));
