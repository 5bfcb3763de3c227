import { softmaxCrossEntropy } from '@gflow/backend';
import { hessianEigenvalues } from '@gflow/landscape';
import { plainMLP } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { randomLabels } from '../rng.js';
import type { Workload } from '../workload.js';

const ITERATIONS = 20;

/**
 * `mlp-hessian-top`: MLP 784-256-256-10 with tanh, batch 256 of N(0,1) inputs with random labels,
 * softmax cross-entropy (mean, as PyTorch's); 20 power iterations of exact Hessian-vector
 * products (double backprop) for the top eigenvalue, with `hessianEigenvalues` (@gflow/landscape).
 * `tol` is set far below reach so that exactly 20 products are spent, as the peer does.
 */
export const mlpHessian: Workload = {
  name: 'mlp-hessian-top',
  what: '20 power iterations of exact Hessian-vector products',
  repeats: 3,
  prepare() {
    // 2 blocks of width 256 + a linear readout to 10: 784-256-256-10.
    const mlp = plainMLP({
      depth: 2,
      width: 256,
      inputSize: 784,
      outputSize: 10,
      activation: 'tanh',
      seed: 0,
    });
    const x = tf.randomNormal([256, 784], 0, 1, 'float32', 11);
    const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(randomLabels(256, 10, 12), 'int32'), 10).toFloat());
    const lossFn = (): tf.Scalar => tf.tidy(() => softmaxCrossEntropy(labels, mlp.apply(x)));
    return {
      run() {
        const r = hessianEigenvalues(lossFn, mlp, {
          k: 1,
          method: 'power',
          maxIter: ITERATIONS,
          tol: 1e-300,
          extremes: false,
          mode: 'exact',
          seed: 0,
        });
        if (r.iterations[0] !== ITERATIONS) {
          throw new Error(`mlp-hessian-top: expected ${ITERATIONS} products, got ${r.iterations[0]}`);
        }
        return { lambdaMax: r.eigenvalues[0] as number, iterations: r.iterations[0] as number };
      },
      dispose() {
        x.dispose();
        labels.dispose();
        mlp.dispose();
      },
    };
  },
};
