/**
 * The small valid harness that the bad-input suites of @gflow/landscape and @gflow/diagnostics add
 * to the harness's pool (`@gflow/core`'s src/test-utils/bad-inputs.ts): a model, its parameters, a
 * loss callback, a batch, an optimizer and a gradient record, so that generated calls can get past
 * the first check.
 */
import { meanSquaredError } from '@gflow/backend';
import { identityContext, type Model, plainMLP } from '@gflow/models';
import type * as TF from '@tensorflow/tfjs';
import { tensorPool } from '../../../backend/src/test-utils/tensor-pool.js';

/** The pool's valid pieces by name, for the suites' seeds (valid calls). */
export interface ModelPoolNamed {
  /** plainMLP 2 → 3 → 1 (13 parameters). */
  readonly model: Model;
  /** Mean squared error of the model on `x`, `y`. */
  readonly lossFn: () => TF.Scalar;
  /** Inputs [4, 2] and targets [4, 1]. */
  readonly x: TF.Tensor;
  readonly y: TF.Tensor;
  /** SGD with learning rate 0.1. */
  readonly optimizer: TF.Optimizer;
  /** A gradient record { a: [2, 2], b: [2] }. */
  readonly grads: Readonly<Record<string, TF.Tensor>>;
  /** A float32 weight matrix [2, 3]. */
  readonly weight: TF.Tensor;
}

/** Makes the pool; `dispose` frees every tensor and variable it made. */
export function modelPool(tf: typeof TF): {
  values: unknown[];
  named: ModelPoolNamed;
  dispose: () => void;
} {
  const tensors = tensorPool(tf);
  const model = plainMLP({ depth: 1, width: 3, inputSize: 2, outputSize: 1, seed: 1 });
  const x = tf.tensor2d([0.1, -0.4, 0.3, 0.2, -0.5, 0.7, 0.9, -0.1], [4, 2]);
  const y = tf.tensor2d([0.5, -0.5, 0.25, 0], [4, 1]);
  const lossFn = (): TF.Scalar => tf.tidy(() => meanSquaredError(y, model.apply(x, identityContext())));
  const nanLoss = (): TF.Scalar => tf.scalar(Number.NaN);
  const grads = { a: tf.tensor2d([1, -2, 3, -4], [2, 2]), b: tf.tensor1d([0.5, 0]) };
  const optimizer = tf.train.sgd(0.1);
  const weight = tf.tensor2d([0.5, -1, 0.25, 2, 0.1, -0.3], [2, 3]);
  const values: unknown[] = [
    ...tensors.values,
    model,
    model.parameters(),
    lossFn,
    nanLoss,
    { loss: () => lossFn(), batches: [0, 1] },
    { inputs: x, targets: y },
    { inputs: x, targets: y, loss: 'meanSquaredError' },
    optimizer,
    { optimizer },
    grads,
    [grads, grads],
    x,
    y,
  ];
  return {
    values,
    named: { model, lossFn, x, y, optimizer, grads, weight },
    dispose: () => {
      tensors.dispose();
      model.dispose();
      optimizer.dispose();
      for (const t of [x, y, grads.a, grads.b, weight]) t.dispose();
    },
  };
}
