import { initBackend } from '@gflow/backend';
import * as models from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { badInputSuite } from '../../../test/bad-inputs/harness.js';
import { tensorPool } from '../../backend/test/tensor-pool.js';

let pool: { values: unknown[]; dispose: () => void } | undefined;

badInputSuite('@gflow/models', {
  exports: models,
  setup: async () => {
    await initBackend();
    pool = tensorPool(tf);
    return pool.values;
  },
  teardown: () => pool?.dispose(),
  numTensors: () => tf.memory().numTensors,
});
