import { softmaxCrossEntropy } from '@gflow/backend';
import {
  clipByGlobalNorm,
  createTrainState,
  disposeTrainState,
  GradientMonitor,
  trainStep,
} from '@gflow/diagnostics';
import { plainMLP } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { randomLabels } from '../rng.js';
import type { Workload } from '../workload.js';

const STEPS = 50;

function trainWorkload(name: string, what: string, monitored: boolean): Workload {
  return {
    name,
    what,
    repeats: 3,
    prepare() {
      // 3 blocks of width 512 + a linear readout: 784-512-512-512-10.
      const model = plainMLP({
        depth: 3,
        width: 512,
        inputSize: 784,
        outputSize: 10,
        activation: 'relu',
        seed: 0,
      });
      const inputs = tf.randomNormal([128, 784], 0, 1, 'float32', 21);
      const targets = tf.tidy(() => tf.oneHot(tf.tensor1d(randomLabels(128, 10, 22), 'int32'), 10).toFloat());
      const optimizer = tf.train.sgd(0.01);
      // Per-parameter gradient norms only: the monitor's extra statistics are off.
      const monitor = monitored
        ? new GradientMonitor({
            moments: false,
            cosine: false,
            updateRatio: false,
            deadUnits: false,
            histogram: false,
            // WORKLOADS.md asks for every parameter's gradient norm, not its weight norm.
            weightNorms: false,
          })
        : undefined;
      const state = createTrainState(monitored ? { transform: clipByGlobalNorm(1) } : {});
      const loss = (t: tf.Tensor, y: tf.Tensor): tf.Scalar => softmaxCrossEntropy(t, y);
      return {
        run() {
          let last = Number.NaN;
          let paramNorms = 0;
          for (let i = 0; i < STEPS; i++) {
            const out = trainStep(model, { inputs, targets }, state, {
              optimizer,
              loss,
              ...(monitor ? { monitor } : {}),
            });
            last = out.loss ?? Number.NaN;
            if (monitor) {
              const rec = out.record;
              if (!rec) throw new Error(`${name}: the monitor recorded nothing`);
              paramNorms = rec.parameters.length;
            }
          }
          return monitored ? { loss: last, parameterNormsPerStep: paramNorms } : { loss: last };
        },
        dispose() {
          disposeTrainState(state);
          monitor?.dispose();
          optimizer.dispose();
          inputs.dispose();
          targets.dispose();
          model.dispose();
        },
      };
    },
  };
}

/**
 * `mlp-train-50`: MLP 784-512-512-512-10 with ReLU, batch 128, softmax cross-entropy, 50 plain
 * SGD steps (lr 0.01) with `trainStep` (@gflow/diagnostics), no monitoring.
 */
export const mlpTrain = trainWorkload('mlp-train-50', '50 SGD steps, unmonitored', false);

/**
 * `mlp-train-50-monitored`: the same 50 steps, each also reading every parameter's gradient norm
 * (a `GradientMonitor` with its extra statistics off) and clipping by global norm 1
 * (`clipByGlobalNorm(1)`).
 */
export const mlpTrainMonitored = trainWorkload(
  'mlp-train-50-monitored',
  '50 SGD steps with per-parameter norms and global-norm clipping',
  true,
);
