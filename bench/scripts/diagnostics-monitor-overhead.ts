/**
 * Measures what monitoring costs per training step on the `mlp-train-50` workload of
 * bench/peer/WORKLOADS.md (MLP 784-512-512-512-10, ReLU, batch 128, softmax cross-entropy,
 * 50 SGD steps at lr 0.01), with one warm-up run and the median of `REPEATS` runs.
 *
 *   cd bench && node ../node_modules/.pnpm/vite-node@VERSION/node_modules/vite-node/vite-node.mjs \
 *     --config ../vitest.config.ts scripts/diagnostics-monitor-overhead.ts   (env: STEPS, REPEATS)
 *
 * Prints one JSON object: seconds per 50 steps for each variant and the overhead relative to the
 * unmonitored `trainStep`.
 */
import { initBackend } from '@gflow/backend';
import {
  clipByGlobalNorm,
  createTrainState,
  disposeTrainState,
  GradientMonitor,
  type GradientMonitorOptions,
  TrainingGuard,
  trainStep,
} from '@gflow/diagnostics';
import { plainMLP } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';

const STEPS = Number(process.env.STEPS ?? 50);
const REPEATS = Number(process.env.REPEATS ?? 5);

await initBackend();
const model = plainMLP({ depth: 3, width: 512, inputSize: 784, outputSize: 10, activation: 'relu', seed: 0 });
const inputs = tf.randomNormal([128, 784], 0, 1, 'float32', 21);
const targets = tf.tidy(() => tf.oneHot(tf.randomUniform([128], 0, 10, 'int32', 22), 10).toFloat());
const loss = (t: tf.Tensor, y: tf.Tensor) => tf.losses.softmaxCrossEntropy(t, y) as tf.Scalar;

type Variant = {
  name: string;
  monitor?: GradientMonitorOptions;
  clip?: boolean;
  guard?: boolean;
  raw?: boolean;
};
const variants: Variant[] = [
  { name: 'raw optimizer.minimize', raw: true },
  { name: 'trainStep, unmonitored' },
  {
    name: 'norms only + clip (bench config)',
    clip: true,
    monitor: { moments: false, cosine: false, updateRatio: false, deadUnits: false, histogram: false },
  },
  { name: 'default monitor + clip', clip: true, monitor: {} },
  { name: 'default monitor + clip + guard', clip: true, monitor: {}, guard: true },
];

function runOnce(v: Variant): number {
  const optimizer = tf.train.sgd(0.01);
  const monitor = v.monitor ? new GradientMonitor(v.monitor) : undefined;
  const guard = v.guard ? new TrainingGuard() : undefined;
  const state = createTrainState(v.clip ? { transform: clipByGlobalNorm(1) } : {});
  const vars = model.parameters().map((p) => p.variable);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let last = 0;
  for (let i = 0; i < STEPS; i++) {
    if (v.raw) {
      const c = optimizer.minimize(() => loss(targets, model.apply(inputs)), true, vars) as tf.Scalar;
      last = c.dataSync()[0] as number;
      c.dispose();
    } else {
      const out = trainStep(model, { inputs, targets }, state, {
        optimizer,
        loss,
        ...(monitor ? { monitor } : {}),
        ...(guard ? { guard } : {}),
      });
      last = out.loss ?? Number.NaN;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  cpuSamples[v.name]?.push((cpu.user + cpu.system) / 1e6);
  if (!Number.isFinite(last)) throw new Error(`${v.name}: loss ${last}`);
  disposeTrainState(state);
  monitor?.dispose();
  guard?.dispose();
  optimizer.dispose();
  return seconds;
}

// Process CPU time (user + system) is reported beside wall time: on a shared machine it is far
// less disturbed by other processes than the wall clock.
const cpuSamples: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v.name, []]));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
const results: Record<string, number> = {};
const before = tf.memory().numTensors;
for (const v of variants) runOnce(v); // warm-up
for (const v of variants) results[v.name] = 0;
const samples: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v.name, []]));
for (const v of variants) (cpuSamples[v.name] as number[]).length = 0; // drop the warm-up
// Interleave the variants so that machine noise hits all of them alike.
for (let r = 0; r < REPEATS; r++) for (const v of variants) samples[v.name]?.push(runOnce(v));
const base = median(samples['trainStep, unmonitored'] as number[]);
const cpuBase: number = median(cpuSamples['trainStep, unmonitored'] as number[]);
console.log(
  JSON.stringify(
    {
      backend: tf.getBackend(),
      steps: STEPS,
      repeats: REPEATS,
      leakedTensors: tf.memory().numTensors - before,
      variants: Object.fromEntries(
        variants.map((v) => {
          const m = median(samples[v.name] as number[]);
          const c = median(cpuSamples[v.name] as number[]);
          return [
            v.name,
            {
              seconds: Number(m.toFixed(3)),
              overVsTrainStep: `${(((m - base) / base) * 100).toFixed(1)}%`,
              cpuSeconds: Number(c.toFixed(3)),
              cpuOverVsTrainStep: `${(((c - cpuBase) / cpuBase) * 100).toFixed(1)}%`,
            },
          ];
        }),
      ),
    },
    null,
    2,
  ),
);
model.dispose();
