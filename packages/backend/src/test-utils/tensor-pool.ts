/**
 * The tensors, callbacks and models that the bad-input suites of packages with tensors add to the
 * harness's pool (`@gflow/core`'s src/test-utils/bad-inputs.ts).
 */
import type * as TF from '@tensorflow/tfjs';

/** Makes the bad and plausible tensors of the pool; `dispose` frees them. */
export function tensorPool(tf: typeof TF): { values: unknown[]; dispose: () => void } {
  const made: TF.Tensor[] = [];
  const keep = <T extends TF.Tensor>(t: T): T => {
    made.push(t);
    return t;
  };
  const disposed = tf.tensor2d([
    [1, 2],
    [3, 4],
  ]);
  disposed.dispose();
  const values: unknown[] = [
    keep(
      tf.tensor2d([
        [0.5, -0.2],
        [0.1, 0.3],
      ]),
    ), // plausible float32 [2, 2]
    keep(tf.scalar(1)), // wrong rank
    keep(tf.tensor1d([])), // empty
    keep(tf.zeros([2, 0])), // empty 2-D
    keep(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32')), // int32
    keep(tf.fill([2, 2], Number.NaN)), // NaN
    keep(tf.fill([3, 3], Number.POSITIVE_INFINITY)), // Infinity
    keep(tf.ones([2, 3])), // non-square
    keep(tf.ones([1, 4, 4, 1])), // rank 4
    keep(tf.ones([2, 3, 2])), // rank 3 [batch, time, features]
    disposed,
  ];
  return {
    values,
    dispose: () => {
      for (const t of made) if (!t.isDisposed) t.dispose();
    },
  };
}
