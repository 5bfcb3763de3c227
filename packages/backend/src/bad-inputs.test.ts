import * as backend from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { badInputSuite } from '../../core/src/test-utils/bad-inputs.js';
import { tensorPool } from './test-utils/tensor-pool.js';

let pool: { values: unknown[]; dispose: () => void } | undefined;

badInputSuite('@gflow/backend', {
  exports: backend,
  setup: async () => {
    await backend.initBackend();
    pool = tensorPool(tf);
    return pool.values;
  },
  teardown: () => pool?.dispose(),
  numTensors: () => tf.memory().numTensors,
});
