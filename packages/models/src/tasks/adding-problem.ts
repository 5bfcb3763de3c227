import * as tf from '@tensorflow/tfjs';
import { checkSchedule, lengthAt } from '../internal/curriculum.js';
import { Rng } from '../internal/rng.js';
import { checkBatchSize, checkInt, checkNumber, checkOptions } from '../internal/validate.js';
import type { LengthSchedule } from './curriculum.js';
import type { SyntheticTask, TaskBatch } from './task.js';

/** Options of {@link addingProblem}. */
export interface AddingProblemOptions {
  /** Sequence length T (≥ 2). With a `curriculum`, the longest length it may give. */
  readonly length: number;
  /** Seed (default 0). */
  readonly seed?: number;
  /**
   * The sequence length of each batch as a function of the batch's index (0 for the first `batch`
   * call), e.g. `linearCurriculum({ start: 10, end: length, steps: 5000 })`; every value must be an
   * integer in [2, length]. Default: `length` for every batch.
   */
  readonly curriculum?: LengthSchedule;
}

/** The adding problem, with its sequence length. */
export interface AddingProblemTask extends SyntheticTask {
  /** T at the longest length (`options.length`). */
  readonly sequenceLength: number;
  /** Batches drawn so far: the index of the next batch, the step its curriculum is evaluated at. */
  readonly step: number;
  /**
   * T of the batch drawn at `step` (the curriculum's length, or `options.length`). The baseline is
   * 1/6 at every length.
   *
   * @param step - A batch index (a non-negative integer).
   * @returns The sequence length of that batch.
   * @throws InvalidArgumentError (from `@gflow/core`) when the curriculum gives a length out of [2, length].
   */
  sequenceLengthAt(step: number): number;
}

/**
 * The adding problem (Hochreiter and Schmidhuber 1997; Le et al. 2015): each step carries a value
 * U(0, 1) and a marker; exactly two markers are set, one in each half of the sequence, and the
 * target is the sum of the two marked values. Inputs [batch, T, 2] (value, marker), targets
 * [batch, 1]; use the last step's output (`returnSequences: false`) and mean squared error.
 *
 * Baseline: predicting the constant 1 = E[X₁ + X₂] gives MSE Var(X₁ + X₂) = 2·(1/12) = 1/6.
 *
 * Curriculum: with `curriculum`, the k-th batch (k = 0, 1, …) has length T_k = curriculum(k)
 * (`sequenceLengthAt(k)`), its markers one in each half of T_k; the values come from the one seeded
 * stream, so the same seed and curriculum give the same batches, and a curriculum that always
 * returns `length` gives exactly the batches of the task without one.
 *
 * @param options - Length and seed.
 * @returns The task; `batch(n)` returns `{ inputs, targets }`, tensors the caller disposes.
 * @throws InvalidArgumentError (from `@gflow/core`) for a length below 2 or a curriculum that is
 *   not a function; `batch` throws it when the curriculum gives a length that is not an integer in
 *   [2, length].
 * @example
 * ```ts
 * const task = addingProblem({ length: 200, seed: 3 });
 * const { inputs, targets } = task.batch(64); // [64, 200, 2], [64, 1]
 * // the length grows from 20 to 200 over the first 2000 batches
 * const grow = addingProblem({ length: 200, curriculum: linearCurriculum({ start: 20, end: 200, steps: 2000 }) });
 * grow.batch(64).inputs.shape; // [64, 20, 2]
 * ```
 * @see Le, Jaitly and Hinton 2015, "A Simple Way to Initialize Recurrent Networks of Rectified Linear Units".
 * @see Bengio, Louradour, Collobert and Weston 2009, "Curriculum Learning" (ICML), for the curriculum.
 */
export function addingProblem(options: AddingProblemOptions): AddingProblemTask {
  checkOptions('addingProblem', options);
  const fn = 'addingProblem';
  const T = checkInt(fn, 'options.length', options.length, 2);
  checkBatchSize(fn, 1, T * 2); // one example must fit
  const rng = new Rng(checkNumber(fn, 'options.seed', options.seed ?? 0));
  const curriculum = checkSchedule(fn, options.curriculum);
  const lengthOf = (f: string, step: number) =>
    lengthAt(f, 'length', curriculum, checkInt(f, 'step', step, 0), 2, T);
  let drawn = 0;
  return {
    name: 'adding',
    inputSize: 2,
    outputSize: 1,
    loss: 'meanSquaredError',
    baseline: 1 / 6,
    sequenceLength: T,
    get step(): number {
      return drawn;
    },
    sequenceLengthAt(step: number): number {
      return lengthOf(`${fn}.sequenceLengthAt`, step);
    },
    batch(size: number): TaskBatch {
      const n = checkInt(`${fn}.batch`, 'size', size);
      const L = lengthOf(`${fn}.batch`, drawn);
      checkBatchSize(`${fn}.batch`, n, L * 2);
      const half = Math.floor(L / 2);
      drawn += 1;
      const x = new Float32Array(n * L * 2);
      const y = new Float32Array(n);
      for (let b = 0; b < n; b++) {
        for (let t = 0; t < L; t++) x[(b * L + t) * 2] = rng.uniform();
        const i = rng.int(half);
        const j = half + rng.int(L - half);
        x[(b * L + i) * 2 + 1] = 1;
        x[(b * L + j) * 2 + 1] = 1;
        y[b] = (x[(b * L + i) * 2] as number) + (x[(b * L + j) * 2] as number);
      }
      return { inputs: tf.tensor3d(x, [n, L, 2]), targets: tf.tensor2d(y, [n, 1]) };
    },
  };
}
