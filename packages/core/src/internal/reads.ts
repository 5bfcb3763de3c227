import type * as tf from '@tensorflow/tfjs';

/**
 * A computation that reads tensors back to the host, written once for a synchronous and an
 * asynchronous driver: it yields each tensor whose values it needs (the driver reads it, then
 * disposes it: yielding hands the tensor over) and receives the values as the result of `yield`.
 * {@link runReadsSync} reads with `dataSync`, {@link runReadsAsync} awaits `data()` (on webgpu and
 * webgl the main thread is then free while the GPU works, and no canvas copy is needed).
 * A read that throws is thrown into the generator at its `yield`, so its `finally` blocks run.
 */
export type Reads<T> = Generator<tf.Tensor, T, tf.TypedArray>;

/** Runs a {@link Reads} computation with synchronous reads (`dataSync`). */
export function runReadsSync<T>(g: Reads<T>): T {
  let step = g.next();
  while (!step.done) {
    const t = step.value;
    let values: tf.TypedArray;
    try {
      values = t.dataSync();
    } catch (err) {
      t.dispose();
      step = g.throw(err);
      continue;
    }
    t.dispose();
    step = g.next(values);
  }
  return step.value;
}

/** Runs a {@link Reads} computation with asynchronous reads (`await data()`). */
export async function runReadsAsync<T>(g: Reads<T>): Promise<T> {
  let step = g.next();
  while (!step.done) {
    const t = step.value;
    let values: tf.TypedArray;
    try {
      values = await t.data();
    } catch (err) {
      t.dispose();
      step = g.throw(err);
      continue;
    }
    t.dispose();
    step = g.next(values);
  }
  return step.value;
}
