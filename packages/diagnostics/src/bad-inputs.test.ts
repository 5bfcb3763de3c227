import { initBackend } from '@gflow/backend';
import * as diagnostics from '@gflow/diagnostics';
import type { Context } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { badInputSuite } from '../../core/src/test-utils/bad-inputs.js';
import { type ModelPoolNamed, modelPool } from '../../models/src/test-utils/model-pool.js';

let pool: ReturnType<typeof modelPool> | undefined;
const n = (): ModelPoolNamed => (pool as ReturnType<typeof modelPool>).named;

badInputSuite('@gflow/diagnostics', {
  exports: diagnostics,
  setup: async () => {
    await initBackend();
    pool = modelPool(tf);
    return pool.values;
  },
  teardown: () => pool?.dispose(),
  numTensors: () => tf.memory().numTensors,
  nanAllowed: {
    // documented: a NaN element gives a NaN norm (the measurement of NaN data is NaN)
    tensorNorms: 'the norm of a tensor with a NaN is NaN, as documented',
    // documented: lossValue is the loss as measured, and a non-finite loss's tape is for inspection
    gradientTape: 'lossValue is NaN for a NaN loss, as documented; the tape is what one inspects',
    // documented: a non-finite loss or gradient is NaN/Infinity in the report and a 'non-finite'
    // error finding in its diagnosis (the report measures the failure, it does not hide it)
    measureGradientFlow: "NaN in the report comes with a 'non-finite' error finding",
    // JSON hooks: called by JSON.stringify/parse on every value, they pass NaN through or revive it
    nonFiniteReplacer: 'passes values through unchanged except non-finite numbers',
    nonFiniteReviver: "revives 'NaN' to NaN by design",
  },
  // valid calls, each probed one argument and one option at a time; trainStep, which changes the
  // model's weights, is probed last among those that read them (exports run in name order)
  seeds: {
    adaptiveGradientClip: () => [0.01, 1e-3],
    autoClip: () => [10, 100],
    caGrad: () => [[n().grads, n().grads], {}],
    clipByGlobalNorm: () => [1],
    clipByNorm: () => [1],
    clipByValue: () => [1],
    constantSchedule: () => [0.1],
    emaClip: () => [0.9, 2],
    zClip: () => [{ alpha: 0.9, zThreshold: 2, warmupSteps: 3 }],
    exponentialDecay: () => [{ init: 0.1, decayRate: 0.5, transitionSteps: 10 }],
    frobeniusPenalty: () => [n().weight, { lambda: 0.1 }],
    gradientAwareLearningRate: () => [0.1, 10],
    GradientMonitor: () => [{ capacity: 10 }],
    gradientTape: () => [
      (ctx: Context) => tf.tidy(() => tf.mean(tf.square(n().model.apply(n().x, ctx))) as tf.Scalar),
      { params: n().model.parameters() },
    ],
    instrument: () => [n().optimizer, {}],
    jsonLinesLogger: () => [(_line: string) => {}, { flushEvery: 5 }],
    measureGradientFlow: () => [n().model, { inputs: n().x, targets: n().y, loss: 'meanSquaredError' }],
    nuclearNormPenalty: () => [n().weight, { lambda: 0.1 }],
    pcGrad: () => [[n().grads, n().grads], { seed: 1 }],
    piecewiseConstant: () => [0.1, [[10, 0.5]]],
    spectralNormalization: () => [{ iterations: 2 }],
    spectralPenalty: () => [n().weight, { target: 1, lambda: 0.1 }],
    tensorNorms: () => [n().grads],
    TrainingGuard: () => [{ snapshotEvery: 5 }],
    warmupCosine: () => [{ peak: 1e-3, warmupSteps: 10, totalSteps: 100 }],
    warmupLinear: () => [{ peak: 1e-3, warmupSteps: 10, totalSteps: 100 }],
  },
});
