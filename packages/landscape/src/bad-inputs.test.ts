import { initBackend } from '@gflow/backend';
import * as landscape from '@gflow/landscape';
import * as tf from '@tensorflow/tfjs';
import { badInputSuite } from '../../core/src/test-utils/bad-inputs.js';
import { type ModelPoolNamed, modelPool } from '../../models/src/test-utils/model-pool.js';

let pool: ReturnType<typeof modelPool> | undefined;
const n = (): ModelPoolNamed => (pool as ReturnType<typeof modelPool>).named;
// directions in the model's parameter space (13 parameters), as flat arrays
const d1 = (): number[] => Array.from({ length: 13 }, (_, i) => ((i % 5) - 2) / 4);
const d2 = (): number[] => Array.from({ length: 13 }, (_, i) => ((i % 3) - 1) / 2);

badInputSuite('@gflow/landscape', {
  exports: landscape,
  setup: async () => {
    await initBackend();
    pool = modelPool(tf);
    return pool.values;
  },
  teardown: () => pool?.dispose(),
  numTensors: () => tf.memory().numTensors,
  // a valid call with default options does real work: hessianTrace 100 Hessian-vector products,
  // hessianEigenvalues up to 100 Lanczos steps, lossPlane 21 × 21 losses (each about 1 s on a
  // loaded 2-core machine); a hang is still caught, after 5 s instead of 1 s
  limits: {
    hessianTrace: 5000,
    hessianEigenvalues: 5000,
    hessianEigenvaluesAsync: 5000,
    hessianSpectralDensity: 5000,
    lossPlane: 5000,
  },
  // valid calls, each probed one argument and one option at a time
  seeds: {
    hessianEigenvalues: () => [n().lossFn, n().model, { k: 1, maxIter: 20 }],
    hessianEigenvaluesAsync: () => [n().lossFn, n().model, { k: 1, maxIter: 20 }],
    hessianSpectralDensity: () => [n().lossFn, n().model, { steps: 4, gridPoints: 10 }],
    hessianTrace: () => [n().lossFn, n().model, { samples: 4 }],
    hessianVectorProduct: () => [n().lossFn, n().model, d1(), {}],
    interpolate: () => [n().lossFn, n().model, d1(), d2(), { points: 3 }],
    lossLine: () => [n().lossFn, n().model, d1(), { points: 3, range: [-1, 1] }],
    lossLineAsync: () => [n().lossFn, n().model, d1(), { points: 3, range: [-1, 1] }],
    lossPlane: () => [n().lossFn, n().model, d1(), d2(), { points: 2 }],
    pcaDirections: () => [[d1(), d2(), d1().map((v, i) => v + i / 10)]],
    randomDirection: () => [n().model, { seed: 1 }],
    randomDirectionAsync: () => [n().model, { seed: 1 }],
    snapshotParameters: () => [n().model],
  },
});
