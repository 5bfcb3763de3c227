import * as tf from '@tensorflow/tfjs';
import { Rng } from '../internal/rng.js';
import { checkBatchSize, checkInt, checkNumber, checkOptions } from '../internal/validate.js';
import type { SyntheticTask, TaskBatch } from './task.js';

/** Options of {@link copyMemoryTask}. */
export interface CopyMemoryOptions {
  /** Steps between the end of the data and the recall marker (≥ 1); the classic experiments use 100–2000. */
  readonly delay: number;
  /** Number of data symbols (default 8). */
  readonly alphabet?: number;
  /** Number of symbols to remember (default 10). */
  readonly length?: number;
  /** Seed (default 0). */
  readonly seed?: number;
}

/** A copy-memory task with its sequence length. */
export interface CopyMemoryTask extends SyntheticTask {
  /** T = delay + 2·length. */
  readonly sequenceLength: number;
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
 * @param options - Delay, alphabet, length and seed.
 * @returns The task; `batch(n)` returns `{ inputs, targets }`, tensors the caller disposes.
 * @throws InvalidArgumentError (from `@gflow/core`) for a delay, alphabet (< 2) or length out of range.
 * @example
 * ```ts
 * const task = copyMemoryTask({ delay: 100, seed: 1 });
 * const { inputs, targets } = task.batch(32); // [32, 120, 10] each
 * console.log(task.baseline); // 10·ln 8 / 120 ≈ 0.1733
 * ```
 * @see Arjovsky, Shah and Bengio 2016, "Unitary Evolution Recurrent Neural Networks" (section 4.1).
 */
export function copyMemoryTask(options: CopyMemoryOptions): CopyMemoryTask {
  checkOptions('copyMemoryTask', options);
  const fn = 'copyMemoryTask';
  const delay = checkInt(fn, 'options.delay', options.delay);
  const alphabet = checkInt(fn, 'options.alphabet', options.alphabet ?? 8, 2);
  const length = checkInt(fn, 'options.length', options.length ?? 10);
  checkBatchSize(fn, 1, 2 * (delay + 2 * length) * (alphabet + 2)); // one example must fit
  const rng = new Rng(checkNumber(fn, 'options.seed', options.seed ?? 0));
  const T = delay + 2 * length;
  const K = alphabet + 2;
  const blank = alphabet;
  const marker = alphabet + 1;
  return {
    name: 'copyMemory',
    inputSize: K,
    outputSize: K,
    loss: 'crossEntropy',
    baseline: (length * Math.log(alphabet)) / T,
    sequenceLength: T,
    batch(size: number): TaskBatch {
      const n = checkInt(`${fn}.batch`, 'size', size);
      checkBatchSize(`${fn}.batch`, n, 2 * T * K);
      const x = new Float32Array(n * T * K);
      const y = new Float32Array(n * T * K);
      for (let b = 0; b < n; b++) {
        const base = b * T * K;
        for (let t = 0; t < T; t++) {
          let xin = blank;
          let yout = blank;
          if (t < length) xin = rng.int(alphabet);
          if (t === length + delay - 1) xin = marker;
          if (t >= length + delay) {
            // the symbol given at t − length − delay
            const src = t - length - delay;
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
