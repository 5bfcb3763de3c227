// Child-process script for loggers.test.ts: trains 12 steps with model.fit through an
// instrumented optimizer, logging to a JSON-lines file and a TensorBoard directory, and never
// calls close() or dispose(). argv: <jsonl path> <tensorboard dir> <mode>, where mode is
//   exit    — default loggers, the script just ends;
//   sigterm — loggers holding 100 records, then the process sends itself SIGTERM;
//   sigint  — the same with SIGINT (Ctrl-C);
//   sigkill — default loggers (a write per record), then the process sends itself SIGKILL.
import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { GradientMonitor } from '../gradient-monitor.js';
import { instrument } from '../instrument.js';
import { jsonLinesLogger } from '../loggers/json-lines-logger.js';
import { tensorBoardLogger } from '../loggers/tensorboard-logger.js';

const [jsonl, tbdir, mode] = process.argv.slice(2) as [string, string, string];
await initBackend({ prefer: 'cpu' });
const flushEvery = mode === 'sigterm' || mode === 'sigint' ? 100 : 1;
// vite-node (which runs this TypeScript for the test) adds a SIGTERM listener that exits with
// status 0; a user's `node script.js` has none, so take it out to be that process.
for (const l of process.listeners('SIGTERM'))
  if (l.name === 'parentSigtermCallback') process.off('SIGTERM', l);
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
const signal = ({ sigterm: 'SIGTERM', sigint: 'SIGINT', sigkill: 'SIGKILL' } as const)[mode as 'sigterm'];
if (signal) {
  // A signal arrives asynchronously: stay busy, as a training script would, so that the signal
  // (not vite-node's exit after the script's last line) ends the process. 20 s is ample; if the
  // process is still alive then, it exits with status 0 and the test fails.
  process.kill(process.pid, signal);
  await new Promise((done) => setTimeout(done, 20_000));
}
