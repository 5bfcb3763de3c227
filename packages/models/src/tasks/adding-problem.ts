import * as tf from '@tensorflow/tfjs';
import { Rng } from '../internal/rng.js';
import { checkBatchSize, checkInt, checkNumber, checkOptions } from '../internal/validate.js';
import type { SyntheticTask, TaskBatch } from './task.js';

/** Options of {@link addingProblem}. */
export interface AddingProblemOptions {
  /** Sequence length T (≥ 2). */
  readonly length: number;
  /** Seed (default 0). */
  readonly seed?: number;
}

/** The adding problem, with its sequence length. */
export interface AddingProblemTask extends SyntheticTask {
  /** T. */
  readonly sequenceLength: number;
}

/**
 * The adding problem (Hochreiter and Schmidhuber 1997; Le et al. 2015): each step carries a value
 * U(0, 1) and a marker; exactly two markers are set, one in each half of the sequence, and the
 * target is the sum of the two marked values. Inputs [batch, T, 2] (value, marker), targets
 * [batch, 1]; use the last step's output (`returnSequences: false`) and mean squared error.
 *
 * Baseline: predicting the constant 1 = E[X₁ + X₂] gives MSE Var(X₁ + X₂) = 2·(1/12) = 1/6.
 *
 * @param options - Length and seed.
 * @returns The task; `batch(n)` returns `{ inputs, targets }`, tensors the caller disposes.
 * @throws InvalidArgumentError (from `@gflow/core`) for a length below 2.
 * @example
 * ```ts
 * const task = addingProblem({ length: 200, seed: 3 });
 * const { inputs, targets } = task.batch(64); // [64, 200, 2], [64, 1]
 * ```
 * @see Le, Jaitly and Hinton 2015, "A Simple Way to Initialize Recurrent Networks of Rectified Linear Units".
 */
export function addingProblem(options: AddingProblemOptions): AddingProblemTask {
  checkOptions('addingProblem', options);
  const fn = 'addingProblem';
  const T = checkInt(fn, 'options.length', options.length, 2);
  checkBatchSize(fn, 1, T * 2); // one example must fit
  const rng = new Rng(checkNumber(fn, 'options.seed', options.seed ?? 0));
  const half = Math.floor(T / 2);
  return {
    name: 'adding',
    inputSize: 2,
    outputSize: 1,
    loss: 'meanSquaredError',
    baseline: 1 / 6,
    sequenceLength: T,
    batch(size: number): TaskBatch {
      const n = checkInt(`${fn}.batch`, 'size', size);
      checkBatchSize(`${fn}.batch`, n, T * 2);
      const x = new Float32Array(n * T * 2);
      const y = new Float32Array(n);
      for (let b = 0; b < n; b++) {
        for (let t = 0; t < T; t++) x[(b * T + t) * 2] = rng.uniform();
        const i = rng.int(half);
        const j = half + rng.int(T - half);
        x[(b * T + i) * 2 + 1] = 1;
        x[(b * T + j) * 2 + 1] = 1;
        y[b] = (x[(b * T + i) * 2] as number) + (x[(b * T + j) * 2] as number);
      }
      return { inputs: tf.tensor3d(x, [n, T, 2]), targets: tf.tensor2d(y, [n, 1]) };
    },
  };
}
