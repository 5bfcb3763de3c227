import * as tf from '@tensorflow/tfjs';
import { Rng } from '../internal/rng.js';
import { checkBatchSize, checkInt, checkNumber, checkOptions } from '../internal/validate.js';
import type { SyntheticTask, TaskBatch } from './task.js';

/** Options of {@link syntheticImages}. */
export interface SyntheticImagesOptions {
  /** Number of classes (≥ 2; default 4). */
  readonly classes?: number;
  /** Image side in pixels (≥ 4; default 16). */
  readonly size?: number;
  /** Channels (default 1). */
  readonly channels?: number;
  /** Standard deviation of the additive Gaussian pixel noise (default 0.5). */
  readonly noise?: number;
  /** Seed (default 0). */
  readonly seed?: number;
}

/** A batch with integer class labels as well. */
export interface LabeledBatch extends TaskBatch {
  /** Class indices, int32 [n]. */
  readonly labels: tf.Tensor1D;
}

/** The synthetic image task, with labels as well. */
export interface SyntheticImagesTask extends SyntheticTask {
  /** Draws a batch with integer labels too: `labels` int32 [n] (the caller disposes all three). */
  batchWithLabels(size: number): LabeledBatch;
}

/**
 * A small synthetic image classification set for conv nets: class c is a sinusoidal grating at
 * orientation θ_c = π·c/classes and spatial frequency 2 + (c mod 3) cycles per image, with a random
 * phase per example (so no single pixel identifies the class: the net must detect orientation), plus
 * Gaussian pixel noise; every channel carries the grating scaled by a fixed per-channel gain.
 * Labels are uniform, inputs NHWC [n, size, size, channels], targets one-hot [n, classes].
 *
 * Baseline: the chance cross-entropy ln(classes).
 *
 * @param options - Classes, size, channels, noise and seed.
 * @returns The task; batches are tensors the caller disposes.
 * @throws InvalidArgumentError (from `@gflow/core`) for fewer than 2 classes, a size below 4 or a negative noise.
 * @example
 * ```ts
 * const task = syntheticImages({ classes: 4, size: 16, seed: 1 });
 * const { inputs, targets } = task.batch(32); // [32, 16, 16, 1], [32, 4]
 * ```
 */
export function syntheticImages(options: SyntheticImagesOptions = {}): SyntheticImagesTask {
  checkOptions('syntheticImages', options, true);
  const fn = 'syntheticImages';
  const classes = checkInt(fn, 'options.classes', options.classes ?? 4, 2);
  const size = checkInt(fn, 'options.size', options.size ?? 16, 4);
  const channels = checkInt(fn, 'options.channels', options.channels ?? 1);
  checkBatchSize(fn, 1, size * size * channels + classes); // one example must fit
  const noise = checkNumber(fn, 'options.noise', options.noise ?? 0.5, 0);
  const rng = new Rng(checkNumber(fn, 'options.seed', options.seed ?? 0));
  const gains = Array.from({ length: channels }, (_, c) => 1 - 0.5 * (c / Math.max(1, channels)));
  const draw = (n: number): { x: Float32Array; y: Float32Array; l: Int32Array } => {
    checkBatchSize(`${fn}.batch`, n, size * size * channels + classes + 1);
    const x = new Float32Array(n * size * size * channels);
    const y = new Float32Array(n * classes);
    const l = new Int32Array(n);
    for (let b = 0; b < n; b++) {
      const c = rng.int(classes);
      l[b] = c;
      y[b * classes + c] = 1;
      const th = (Math.PI * c) / classes;
      const f = (2 * Math.PI * (2 + (c % 3))) / size;
      const kx = f * Math.cos(th);
      const ky = f * Math.sin(th);
      const phase = 2 * Math.PI * rng.uniform();
      for (let i = 0; i < size; i++) {
        for (let j = 0; j < size; j++) {
          const g = Math.sin(kx * j + ky * i + phase);
          for (let ch = 0; ch < channels; ch++) {
            x[((b * size + i) * size + j) * channels + ch] = (gains[ch] as number) * g + noise * rng.normal();
          }
        }
      }
    }
    return { x, y, l };
  };
  return {
    name: 'syntheticImages',
    inputSize: channels,
    outputSize: classes,
    loss: 'crossEntropy',
    baseline: Math.log(classes),
    batch(n: number): TaskBatch {
      const { x, y } = draw(checkInt(`${fn}.batch`, 'size', n));
      return { inputs: tf.tensor4d(x, [n, size, size, channels]), targets: tf.tensor2d(y, [n, classes]) };
    },
    batchWithLabels(n: number) {
      const { x, y, l } = draw(checkInt(`${fn}.batchWithLabels`, 'size', n));
      return {
        inputs: tf.tensor4d(x, [n, size, size, channels]),
        targets: tf.tensor2d(y, [n, classes]),
        labels: tf.tensor1d(l, 'int32'),
      };
    },
  };
}
