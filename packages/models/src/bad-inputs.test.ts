import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { tensorPool } from '../../backend/src/test-utils/tensor-pool.js';
import { badInputSuite } from '../../core/src/test-utils/bad-inputs.js';
import * as models from './index.js';

let pool: { values: unknown[]; dispose: () => void } | undefined;

const mlp = { depth: 2, width: 4, inputSize: 3, outputSize: 2, seed: 1 };
const conv = { depth: 2, channels: 4, inputChannels: 1, kernelSize: 3, outputSize: 2 };
const rnn = { inputSize: 3, hiddenSize: 4, outputSize: 2 };

badInputSuite('@gflow/models', {
  exports: models,
  setup: async () => {
    await initBackend();
    pool = tensorPool(tf);
    return pool.values;
  },
  teardown: () => pool?.dispose(),
  numTensors: () => tf.memory().numTensors,
  // valid calls, each probed one argument and one option at a time (pool[0] is a float32 [2, 2])
  seeds: {
    plainMLP: () => [{ ...mlp }],
    residualMLP: () => [{ ...mlp }],
    denseMLP: () => [{ ...mlp }],
    highwayMLP: () => [{ ...mlp }],
    plainConvNet: () => [{ ...conv }],
    residualConvNet: () => [{ ...conv }],
    transformerStack: () => [{ depth: 1, width: 4, heads: 2, inputSize: 3 }],
    vanillaRNN: () => [{ ...rnn }],
    residualRNN: () => [{ ...rnn }],
    highwayRNN: () => [{ ...rnn }],
    lstm: () => [{ ...rnn }],
    gru: () => [{ ...rnn }],
    orthogonalRNN: () => [{ ...rnn }],
    unitaryRNN: () => [{ ...rnn }],
    kroneckerRNN: () => [{ ...rnn }],
    indRNN: () => [{ ...rnn, recurrentRange: [0, 1] }],
    dense: () => [{ inputSize: 3, outputSize: 2 }],
    conv2d: () => [{ inputChannels: 1, outputChannels: 2, kernelSize: 3 }],
    weightNorm: () => [{ inputSize: 3, outputSize: 2 }],
    batchNorm: () => [{ size: 4 }],
    layerNorm: () => [{ size: 4 }],
    groupNorm: () => [{ size: 4, groups: 2 }],
    dropout: () => [{ rate: 0.5 }],
    teacherStudent: () => [{ inputSize: 3, outputSize: 2, teacherWidth: 4 }],
    addingProblem: () => [{ length: 5 }],
    copyMemoryTask: () => [{ delay: 3, length: 2 }],
    syntheticImages: () => [{ size: 4, classes: 2 }],
    initialize: () => ['he', [3, 4], { seed: 1 }],
    cayleyMap: (p) => [p[0]],
    matrixExp: (p) => [p[0]],
    householderProduct: (p) => [p[0]],
    applyActivation: (p) => ['tanh', p[0]],
    identityContext: () => [true],
  },
});
