import { initBackend } from '@gflow/backend';
import * as diagnostics from '@gflow/diagnostics';
import * as tf from '@tensorflow/tfjs';
import { badInputSuite } from '../../core/src/test-utils/bad-inputs.js';
import { modelPool } from '../../models/src/test-utils/model-pool.js';

let pool: { values: unknown[]; dispose: () => void } | undefined;

badInputSuite('@gflow/diagnostics', {
  exports: diagnostics,
  nanAllowed: {
    // documented: a NaN element gives a NaN norm (the measurement of NaN data is NaN)
    tensorNorms: 'the norm of a tensor with a NaN is NaN, as documented',
    // JSON hooks: called by JSON.stringify/parse on every value, they pass NaN through or revive it
    nonFiniteReplacer: 'passes values through unchanged except non-finite numbers',
    nonFiniteReviver: "revives 'NaN' to NaN by design",
  },
  setup: async () => {
    await initBackend();
    pool = modelPool(tf);
    return pool.values;
  },
  teardown: () => pool?.dispose(),
  numTensors: () => tf.memory().numTensors,
});
