import { initBackend } from '@gflow/backend';
import * as landscape from '@gflow/landscape';
import * as tf from '@tensorflow/tfjs';
import { badInputSuite } from '../../core/src/test-utils/bad-inputs.js';
import { modelPool } from '../../models/src/test-utils/model-pool.js';

let pool: { values: unknown[]; dispose: () => void } | undefined;

badInputSuite('@gflow/landscape', {
  exports: landscape,
  setup: async () => {
    await initBackend();
    pool = modelPool(tf);
    return pool.values;
  },
  teardown: () => pool?.dispose(),
  numTensors: () => tf.memory().numTensors,
});
