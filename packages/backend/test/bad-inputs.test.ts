import * as backend from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { badInputSuite } from '../../../test/bad-inputs/harness.js';
import { tensorPool } from './tensor-pool.js';

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
