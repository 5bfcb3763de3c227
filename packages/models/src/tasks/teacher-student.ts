import * as tf from '@tensorflow/tfjs';
import type { ActivationSpec } from '../activations.js';
import { plainMLP } from '../feedforward/plain-mlp.js';
import { Rng } from '../internal/rng.js';
import { checkInt, checkNumber, checkOptions, checkParameterCount } from '../internal/validate.js';
import type { Model } from '../model.js';
import type { SyntheticTask, TaskBatch } from './task.js';

/** Options of {@link teacherStudent}. */
export interface TeacherStudentOptions {
  /** Input features; inputs are N(0, I). */
  readonly inputSize: number;
  /** Output features (default 1). */
  readonly outputSize?: number;
  /** Hidden blocks of the teacher (default 2). */
  readonly teacherDepth?: number;
  /** Hidden width of the teacher (default 32). */
  readonly teacherWidth?: number;
  /** Teacher activation (default `'tanh'`). */
  readonly activation?: ActivationSpec;
  /** Standard deviation of the Gaussian label noise (default 0). */
  readonly noise?: number;
  /** Seed (default 0). */
  readonly seed?: number;
}

/** A teacher–student task: the teacher network, and the Bayes error. */
export interface TeacherStudentTask extends SyntheticTask {
  /** The teacher (a `plainMLP` with LeCun-normal weights); disposed by `dispose()`. */
  readonly teacher: Model;
  /** The irreducible MSE, noise². */
  readonly bayesError: number;
  /** Frees the teacher's variables. */
  dispose(): void;
}

/**
 * Teacher–student regression for feedforward nets: x ~ N(0, I), y = teacher(x) + σ·ε with a fixed
 * random teacher `plainMLP` (LeCun-normal initialization, so its outputs have O(1) variance). A
 * student of the same or larger capacity can reach the Bayes error σ²; `baseline` is the MSE of the
 * best constant predictor, estimated once from 4,096 seeded draws (Var y).
 *
 * @param options - Sizes, teacher shape, noise and seed.
 * @returns The task; `batch(n)` returns `{ inputs, targets }`, tensors the caller disposes; call
 *   `dispose()` to free the teacher.
 * @throws InvalidArgumentError (from `@gflow/core`) for sizes of 0, a negative noise or an unknown activation.
 * @example
 * ```ts
 * const task = teacherStudent({ inputSize: 10, noise: 0.1, seed: 2 });
 * const { inputs, targets } = task.batch(128);
 * task.dispose();
 * ```
 * @see Seung, Sompolinsky and Tishby 1992; Saxe et al. 2014 for the linear case.
 */
export function teacherStudent(options: TeacherStudentOptions): TeacherStudentTask {
  checkOptions('teacherStudent', options);
  const fn = 'teacherStudent';
  const inputSize = checkInt(fn, 'options.inputSize', options.inputSize);
  const outputSize = checkInt(fn, 'options.outputSize', options.outputSize ?? 1);
  const depth = checkInt(fn, 'options.teacherDepth', options.teacherDepth ?? 2);
  const width = checkInt(fn, 'options.teacherWidth', options.teacherWidth ?? 32);
  checkParameterCount(fn, (inputSize + 1) * width + depth * (width + 1) * width + (width + 1) * outputSize);
  const noise = checkNumber(fn, 'options.noise', options.noise ?? 0, 0);
  const seed = checkNumber(fn, 'options.seed', options.seed ?? 0);
  const teacher = plainMLP({
    depth,
    width,
    inputSize,
    outputSize,
    activation: options.activation ?? 'tanh',
    init: 'lecun',
    seed,
  });
  const rng = new Rng(seed + 1);
  const draw = (n: number): TaskBatch => {
    const x = new Float32Array(n * inputSize).map(() => rng.normal());
    const e = new Float32Array(n * outputSize).map(() => noise * rng.normal());
    return tf.tidy(() => {
      const inputs = tf.tensor2d(x, [n, inputSize]);
      const targets = tf.add(teacher.apply(inputs), tf.tensor2d(e, [n, outputSize]));
      return { inputs, targets };
    });
  };
  const probe = new Rng(seed + 2);
  const baseline = tf.tidy(() => {
    const x = tf.tensor2d(
      new Float32Array(4096 * inputSize).map(() => probe.normal()),
      [4096, inputSize],
    );
    const y = teacher.apply(x);
    const v = tf.mean(tf.moments(y, 0).variance).dataSync()[0] as number;
    return v + noise * noise;
  });
  return {
    name: 'teacherStudent',
    inputSize,
    outputSize,
    loss: 'meanSquaredError',
    baseline,
    bayesError: noise * noise,
    teacher,
    batch: (size: number) => draw(checkInt(`${fn}.batch`, 'size', size)),
    dispose: () => teacher.dispose(),
  };
}
