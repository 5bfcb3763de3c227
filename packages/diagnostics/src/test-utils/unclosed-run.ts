// Child-process script for loggers.test.ts: trains 12 steps with model.fit through an
// instrumented optimizer, logging to a JSON-lines file and a TensorBoard directory, and never
// calls close() or dispose(). argv: <jsonl path> <tensorboard dir> <mode>, where mode is
//   exit    — default loggers, the script just ends;
//   sigterm — loggers holding 100 records, then the process sends itself SIGTERM;
//   sigkill — default loggers (a write per record), then the process sends itself SIGKILL.
import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { GradientMonitor } from '../gradient-monitor.js';
import { instrument } from '../instrument.js';
import { jsonLinesLogger } from '../loggers/json-lines-logger.js';
import { tensorBoardLogger } from '../loggers/tensorboard-logger.js';

const [jsonl, tbdir, mode] = process.argv.slice(2) as [string, string, string];
await initBackend({ prefer: 'cpu' });
const flushEvery = mode === 'sigterm' ? 100 : 1;
const monitor = new GradientMonitor({
  loggers: [jsonLinesLogger(jsonl, { flushEvery }), tensorBoardLogger(tbdir, { flushEvery })],
});
const model = tf.sequential({
  layers: [
    tf.layers.dense({
      units: 4,
      inputShape: [3],
      activation: 'tanh',
      kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }),
    }),
    tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }),
  ],
});
model.compile({ optimizer: instrument(tf.train.sgd(0.01), { monitor }), loss: 'meanSquaredError' });
const xs = tf.randomNormal([48, 3], 0, 1, 'float32', 3);
const ys = tf.randomNormal([48, 1], 0, 1, 'float32', 4);
await model.fit(xs, ys, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
console.log(JSON.stringify({ recorded: monitor.size }));
if (mode === 'sigterm') process.kill(process.pid, 'SIGTERM');
if (mode === 'sigkill') process.kill(process.pid, 'SIGKILL');
