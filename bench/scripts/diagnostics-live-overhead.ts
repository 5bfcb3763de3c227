/**
 * Measures what live monitoring costs during `model.fit`: `watchFlow` at every = 50 (with and
 * without its per-parameter histograms) and the file loggers (`jsonLinesLogger` and
 * `tensorBoardLogger`, writing every record before `log` returns) behind an instrumented
 * optimizer, against the same fit without them. The model is the `mlp-train-50` workload's
 * shape at width 256 (MLP 784-256-256-256-10, ReLU, batch 128, softmax cross-entropy, SGD at lr
 * 0.01), built as a `tf.sequential`; one warm-up fit, then `REPEATS` fits of `STEPS` steps per
 * variant, interleaved, median. It also times one `log` call of each logger alone (2000 records,
 * mean), on a record of this model and on one carrying histograms.
 *
 *   cd bench && node ../node_modules/.pnpm/vite-node@VERSION/node_modules/vite-node/vite-node.mjs \
 *     --config ../vitest.config.ts scripts/diagnostics-live-overhead.ts   (env: STEPS, REPEATS)
 *
 * Prints one JSON object.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@gflow/backend';
import {
  GradientMonitor,
  instrument,
  jsonLinesLogger,
  type StepLogger,
  type StepRecord,
  tensorBoardLogger,
  valueHistogram,
  watchFlow,
} from '@gflow/diagnostics';
import * as tf from '@tensorflow/tfjs';

const STEPS = Number(process.env.STEPS ?? 200);
const REPEATS = Number(process.env.REPEATS ?? 3);
const BATCH = 128;
const STEPS_PER_EPOCH = 50;

await initBackend();
const dir = mkdtempSync(join(tmpdir(), 'gflow-live-overhead-'));
const xs = tf.randomNormal([BATCH * STEPS_PER_EPOCH, 784], 0, 1, 'float32', 21);
const ys = tf.tidy(() =>
  tf.oneHot(tf.randomUniform([BATCH * STEPS_PER_EPOCH], 0, 10, 'int32', 22), 10).toFloat(),
);
const held = {
  inputs: tf.randomNormal([BATCH, 784], 0, 1, 'float32', 23),
  targets: tf.tidy(() => tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32', 24), 10).toFloat()),
};

let seed = 100;
function mlp(): tf.Sequential {
  const dense = (units: number, activation: 'relu' | 'linear', inputShape?: number[]) =>
    tf.layers.dense({
      units,
      activation,
      ...(inputShape ? { inputShape } : {}),
      kernelInitializer: tf.initializers.heNormal({ seed: seed++ }),
    });
  return tf.sequential({
    layers: [dense(256, 'relu', [784]), dense(256, 'relu'), dense(256, 'relu'), dense(10, 'linear')],
  });
}
const loss = (t: tf.Tensor, y: tf.Tensor) => tf.losses.softmaxCrossEntropy(t, y) as tf.Scalar;

type Variant = { name: string; watch?: 'histograms' | 'no histograms'; loggers?: boolean };
const variants: Variant[] = [
  { name: 'fit' },
  { name: 'fit + watchFlow(every 50, histograms every 200)', watch: 'histograms' },
  { name: 'fit + watchFlow(every 50, no histograms)', watch: 'no histograms' },
  { name: 'fit + instrument(monitor), no loggers', loggers: false },
  { name: 'fit + instrument(monitor) + jsonLines + tensorBoard', loggers: true },
];

const wall: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v.name, []]));
const cpu: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v.name, []]));
let run = 0;

async function fitOnce(v: Variant, keep: boolean): Promise<void> {
  const model = mlp();
  const sgd = tf.train.sgd(0.01);
  const loggers: StepLogger[] =
    v.loggers === true
      ? [jsonLinesLogger(join(dir, `r${run}.jsonl`)), tensorBoardLogger(join(dir, `tb${run}`))]
      : [];
  run++;
  const monitor = v.loggers !== undefined ? new GradientMonitor({ loggers }) : undefined;
  model.compile({ optimizer: monitor ? instrument(sgd, { monitor }) : sgd, loss });
  const callbacks = v.watch
    ? [
        watchFlow(model, {
          every: 50,
          batch: held,
          loss,
          histograms: v.watch === 'histograms' ? { every: 200 } : false,
        }),
      ]
    : [];
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await model.fit(xs, ys, {
    epochs: STEPS / STEPS_PER_EPOCH,
    batchSize: BATCH,
    shuffle: false,
    verbose: 0,
    callbacks,
  });
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  if (keep) {
    wall[v.name]?.push(seconds);
    cpu[v.name]?.push((c.user + c.system) / 1e6);
  }
  monitor?.dispose(); // closes the loggers
  model.dispose();
  sgd.dispose();
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1] as number;
const before = tf.memory().numTensors;
for (const v of variants) await fitOnce(v, false); // warm-up
for (let r = 0; r < REPEATS; r++) for (const v of variants) await fitOnce(v, true);

// One log call alone: a training-step record of this model (4 layers, 8 parameters, 4 taps) and
// a watchFlow record with the 16 histograms of its weights and gradients.
const m = mlp();
const names = m.layers.flatMap((l) => l.trainableWeights.map((w) => w.originalName.replace('/', '.')));
const base = (step: number): StepRecord => ({
  step,
  time: Date.now(),
  loss: 2.3,
  globalNorm: 1.5,
  cosine: 0.9,
  parameters: names.map((name) => ({ name, gradNorm: 0.5, weightNorm: 10, ratio: 0.05, updateRatio: 1e-3 })),
  taps: m.layers.map((l) => ({ name: `layers.${l.name}`, gradNorm: 0.1 })),
  finite: true,
});
const histograms = m.layers.flatMap((l) =>
  l.trainableWeights.flatMap((w) => {
    const values = w.read().dataSync();
    const name = w.originalName.replace('/', '.');
    return [valueHistogram(`gradients/${name}`, values), valueHistogram(`parameters/${name}`, values)];
  }),
);
// Histograms of every weight once (what watchFlow adds for the weights at a histogram step).
const histogramSeconds = (() => {
  const s = performance.now();
  for (const l of m.layers) for (const w of l.trainableWeights) valueHistogram('x', w.read().dataSync());
  return (performance.now() - s) / 1000;
})();
const perLog = (make: () => StepLogger, withHistograms: boolean, n: number) => {
  const logger = make();
  const s = performance.now();
  for (let i = 0; i < n; i++) logger.log(withHistograms ? { ...base(i), histograms } : base(i));
  const seconds = (performance.now() - s) / 1000;
  logger.close?.();
  return Number(((seconds / n) * 1e6).toFixed(1));
};
let k = 0;
const loggerMicroseconds = {
  'jsonLinesLogger, step record': perLog(() => jsonLinesLogger(join(dir, `m${k++}.jsonl`)), false, 2000),
  'tensorBoardLogger, step record': perLog(() => tensorBoardLogger(join(dir, `mtb${k++}`)), false, 2000),
  'jsonLinesLogger, record with 16 histograms (8 parameters)': perLog(
    () => jsonLinesLogger(join(dir, `m${k++}.jsonl`)),
    true,
    200,
  ),
  'tensorBoardLogger, record with 16 histograms (8 parameters)': perLog(
    () => tensorBoardLogger(join(dir, `mtb${k++}`)),
    true,
    200,
  ),
};
m.dispose();

const fitBase = median(wall.fit as number[]);
const cpuBase = median(cpu.fit as number[]);
const pct = (x: number, b: number) => `${(((x - b) / b) * 100).toFixed(1)}%`;
console.log(
  JSON.stringify(
    {
      backend: tf.getBackend(),
      steps: STEPS,
      repeats: REPEATS,
      leakedTensors: tf.memory().numTensors - before,
      fits: Object.fromEntries(
        variants.map((v) => {
          const w = median(wall[v.name] as number[]);
          const c = median(cpu[v.name] as number[]);
          return [
            v.name,
            {
              seconds: Number(w.toFixed(3)),
              overFit: pct(w, fitBase),
              cpuSeconds: Number(c.toFixed(3)),
              cpuOverFit: pct(c, cpuBase),
            },
          ];
        }),
      ),
      histogramsOfAllWeightsSeconds: Number(histogramSeconds.toFixed(4)),
      loggerMicrosecondsPerLog: loggerMicroseconds,
    },
    null,
    2,
  ),
);
tf.dispose([xs, ys, held.inputs, held.targets]);
rmSync(dir, { recursive: true, force: true });
