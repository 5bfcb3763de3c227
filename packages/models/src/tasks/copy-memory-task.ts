import * as tf from '@tensorflow/tfjs';
import { checkSchedule, lengthAt } from '../internal/curriculum.js';
import { Rng } from '../internal/rng.js';
import { checkBatchSize, checkInt, checkNumber, checkOptions } from '../internal/validate.js';
import type { LengthSchedule } from './curriculum.js';
import type { SyntheticTask, TaskBatch } from './task.js';

/** Options of {@link copyMemoryTask}. */
export interface CopyMemoryOptions {
  /**
   * Steps between the end of the data and the recall marker (≥ 1); the classic experiments use
   * 100–2000. With a `curriculum`, the longest delay it may give.
   */
  readonly delay: number;
  /** Number of data symbols (default 8). */
  readonly alphabet?: number;
  /** Number of symbols to remember (default 10). */
  readonly length?: number;
  /** Seed (default 0). */
  readonly seed?: number;
  /**
   * The delay of each batch as a function of the batch's index (0 for the first `batch` call),
   * e.g. `linearCurriculum({ start: 10, end: delay, steps: 5000 })`; every value must be an integer
   * in [1, delay]. Default: `delay` for every batch.
   */
  readonly curriculum?: LengthSchedule;
}

/** A copy-memory task with its sequence length. */
export interface CopyMemoryTask extends SyntheticTask {
  /** T = delay + 2·length at the longest delay (`options.delay`); `baseline` is at the same T. */
  readonly sequenceLength: number;
  /** Batches drawn so far: the index of the next batch, the step its curriculum is evaluated at. */
  readonly step: number;
  /**
   * T = delay(step) + 2·length of the batch drawn at `step` (the curriculum's delay, or `options.delay`).
   *
   * @param step - A batch index (a non-negative integer).
   * @returns The sequence length of that batch.
   * @throws InvalidArgumentError (from `@gflow/core`) when the curriculum gives a delay out of [1, delay].
   */
  sequenceLengthAt(step: number): number;
  /**
   * The memoryless baseline length·ln(alphabet)/T of the batch drawn at `step`.
   *
   * @param step - A batch index (a non-negative integer).
   * @returns The baseline cross-entropy at that batch's T.
   * @throws InvalidArgumentError (from `@gflow/core`) when the curriculum gives a delay out of [1, delay].
   */
  baselineAt(step: number): number;
}

/**
 * The copy-memory task (Hochreiter and Schmidhuber 1997; Arjovsky et al. 2016): `length` random
 * symbols from an alphabet of `alphabet`, then `delay − 1` blanks, a recall marker, and `length`
 * blanks during which the model must output the symbols; everywhere else the target is blank.
 * Classes: 0…alphabet−1 data, `alphabet` blank, `alphabet + 1` marker; inputs and targets are
 * one-hot [batch, T, alphabet + 2] with T = delay + 2·length. Use with `returnSequences: true` and a
 * per-step softmax cross-entropy averaged over batch and time.
 *
 * Baseline: a memoryless predictor outputs blank (surely right) before the recall window and the
 * uniform distribution over the data symbols inside it, so its mean cross-entropy is
 * length·ln(alphabet)/(delay + 2·length) (10·ln 8/(T) in the paper's setting).
 *
 * Curriculum: with `curriculum`, the k-th batch (k = 0, 1, …) has delay `curriculum(k)` and
 * T_k = curriculum(k) + 2·length (`sequenceLengthAt(k)`, `baselineAt(k)`); the symbols still come
 * from the one seeded stream, so the same seed and curriculum give the same batches. A curriculum
 * that always returns `delay` gives exactly the batches of the task without one.
 *
 * @param options - Delay, alphabet, length and seed.
 * @returns The task; `batch(n)` returns `{ inputs, targets }`, tensors the caller disposes.
 * @throws InvalidArgumentError (from `@gflow/core`) for a delay, alphabet (< 2) or length out of
 *   range, or a curriculum that is not a function; `batch` throws it when the curriculum gives a
 *   delay that is not an integer in [1, delay].
 * @example
 * ```ts
 * const task = copyMemoryTask({ delay: 100, seed: 1 });
 * const { inputs, targets } = task.batch(32); // [32, 120, 10] each
 * console.log(task.baseline); // 10·ln 8 / 120 ≈ 0.1733
 * // the delay grows from 10 to 100 over the first 1000 batches
 * const grow = copyMemoryTask({ delay: 100, curriculum: linearCurriculum({ start: 10, end: 100, steps: 1000 }) });
 * grow.batch(32).inputs.shape; // [32, 30, 10]
 * ```
 * @see Arjovsky, Shah and Bengio 2016, "Unitary Evolution Recurrent Neural Networks" (section 4.1).
 * @see Bengio, Louradour, Collobert and Weston 2009, "Curriculum Learning" (ICML), for the curriculum.
 */
export function copyMemoryTask(options: CopyMemoryOptions): CopyMemoryTask {
  checkOptions('copyMemoryTask', options);
  const fn = 'copyMemoryTask';
  const delay = checkInt(fn, 'options.delay', options.delay);
  const alphabet = checkInt(fn, 'options.alphabet', options.alphabet ?? 8, 2);
  const length = checkInt(fn, 'options.length', options.length ?? 10);
  checkBatchSize(fn, 1, 2 * (delay + 2 * length) * (alphabet + 2)); // one example must fit
  const rng = new Rng(checkNumber(fn, 'options.seed', options.seed ?? 0));
  const curriculum = checkSchedule(fn, options.curriculum);
  const K = alphabet + 2;
  const blank = alphabet;
  const marker = alphabet + 1;
  const delayAt = (f: string, step: number) =>
    lengthAt(f, 'delay', curriculum, checkInt(f, 'step', step, 0), 1, delay);
  let drawn = 0;
  return {
    name: 'copyMemory',
    inputSize: K,
    outputSize: K,
    loss: 'crossEntropy',
    baseline: (length * Math.log(alphabet)) / (delay + 2 * length),
    sequenceLength: delay + 2 * length,
    get step(): number {
      return drawn;
    },
    sequenceLengthAt(step: number): number {
      return delayAt(`${fn}.sequenceLengthAt`, step) + 2 * length;
    },
    baselineAt(step: number): number {
      return (length * Math.log(alphabet)) / (delayAt(`${fn}.baselineAt`, step) + 2 * length);
    },
    batch(size: number): TaskBatch {
      const n = checkInt(`${fn}.batch`, 'size', size);
      const lag = delayAt(`${fn}.batch`, drawn);
      const T = lag + 2 * length;
      checkBatchSize(`${fn}.batch`, n, 2 * T * K);
      drawn += 1;
      const x = new Float32Array(n * T * K);
      const y = new Float32Array(n * T * K);
      for (let b = 0; b < n; b++) {
        const base = b * T * K;
        for (let t = 0; t < T; t++) {
          let xin = blank;
          let yout = blank;
          if (t < length) xin = rng.int(alphabet);
          if (t === length + lag - 1) xin = marker;
          if (t >= length + lag) {
            // the symbol given at t − length − lag
            const src = t - length - lag;
            let s = -1;
            for (let k = 0; k < alphabet; k++) if ((x[base + src * K + k] as number) === 1) s = k;
            yout = s;
          }
          x[base + t * K + xin] = 1;
          y[base + t * K + yout] = 1;
        }
      }
      return { inputs: tf.tensor3d(x, [n, T, K]), targets: tf.tensor3d(y, [n, T, K]) };
    },
  };
}
