// The landscape functions on a user's own tf.LayersModel, through @gflow/models' adapter.
import { initBackend, softmaxCrossEntropy } from '@gflow/backend';
import { fromLayersModel } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { hessianEigenvalues } from './hessian-eigenvalues.js';
import { hessianVectorProduct } from './hessian-vector-product.js';
import { lossLine } from './loss-line.js';
import { randomDirection } from './random-direction.js';
import { bits, classification } from './test-utils/models.js';

beforeAll(async () => {
  await initBackend();
});

describe('a tf.LayersModel through fromLayersModel', () => {
  it('gets directions, a loss line and curvature, and is left bit-identical', () => {
    const layers = tf.sequential({
      layers: [
        tf.layers.dense({
          inputShape: [5],
          units: 8,
          activation: 'tanh',
          kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }),
        }),
        tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }),
      ],
    });
    const model = fromLayersModel(layers);
    const data = classification(4, 16, [5], 3);
    const lossFn = () => softmaxCrossEntropy(data.ys, model.apply(data.xs));
    const before = tf.memory().numTensors;
    const snapshot = bits(model);
    const d = randomDirection(model, { seed: 1 });
    // Kernels are [in, out]: the direction's column norms equal the weights' column norms.
    const kernel = model.parameters().findIndex((p) => p.role === 'kernel');
    const w = Array.from(model.parameters()[kernel]!.variable.dataSync());
    const cols = (vals: readonly number[]) =>
      [0, 1, 2, 3, 4, 5, 6, 7].map((c) => Math.hypot(...vals.filter((_, j) => j % 8 === c)));
    cols(d[kernel]!.values).forEach((n, c) => {
      expect(n).toBeCloseTo(cols(w)[c]!, 5);
    });
    const line = lossLine(lossFn, model, d, { points: 5 });
    expect(line.losses.every(Number.isFinite)).toBe(true);
    const eig = hessianEigenvalues(lossFn, model, { k: 2, method: 'lanczos', maxIter: 40 });
    expect(eig.mode).toBe('exact');
    // Exact products on the adapted model agree with finite differences (first derivatives only).
    const fd = hessianVectorProduct(lossFn, model, d, { mode: 'finite-difference' }).product.flatMap(
      (p) => p.values,
    );
    const ex = hessianVectorProduct(lossFn, model, d, { mode: 'exact' }).product.flatMap((p) => p.values);
    const rel = Math.hypot(...ex.map((x, i) => x - fd[i]!)) / Math.hypot(...ex);
    expect(rel).toBeLessThan(1e-3);
    expect(bits(model)).toEqual(snapshot);
    expect(tf.memory().numTensors).toBe(before);
    layers.dispose();
    data.xs.dispose();
    data.ys.dispose();
  });
});
