import type * as tf from '@tensorflow/tfjs';

/** One batch of a task: inputs and targets (tensors, the caller's to dispose). */
export interface TaskBatch {
  /** The inputs. */
  readonly inputs: tf.Tensor;
  /** The targets (one-hot for classification tasks, values for regression). */
  readonly targets: tf.Tensor;
}

/** A seeded synthetic task: successive `batch` calls continue one reproducible stream. */
export interface SyntheticTask {
  /** The task's name. */
  readonly name: string;
  /** Features per input step (sequence tasks) or per input (others). */
  readonly inputSize: number;
  /** Outputs (classes or regression targets). */
  readonly outputSize: number;
  /** Which loss the baseline is measured in. */
  readonly loss: 'crossEntropy' | 'meanSquaredError';
  /** The loss of the trivial (memoryless / constant) predictor, a closed form; solving means going well below it. */
  readonly baseline: number;
  /** Draws the next batch of `size` examples. */
  batch(size: number): TaskBatch;
}
