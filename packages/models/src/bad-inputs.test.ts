import { initBackend } from '@gflow/backend';
import * as models from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { tensorPool } from '../../backend/src/test-utils/tensor-pool.js';
import { badInputSuite } from '../../core/src/test-utils/bad-inputs.js';

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
