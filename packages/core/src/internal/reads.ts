import type * as tf from '@tensorflow/tfjs';

/**
 * A request, yielded by a {@link Reads} computation, that the driver make these variables' values
 * readable on the host before the computation goes on: {@link runReadsAsync} awaits each one's
 * `data()` (tfjs then keeps a host copy beside the engine's until the variable changes), and
 * {@link runReadsSync} does nothing (a synchronous read later reads the engine directly). A model
 * whose forward pass reads some parameters synchronously (`Parameter.hostRead`) is then evaluated
 * by the async drivers with no synchronous GPU read. The variables are not disposed.
 */
export class HostPrefetch {
  /**
   * @param variables - The variables whose values to bring to the host.
   */
  constructor(readonly variables: readonly tf.Variable[]) {}
}

/**
 * A computation that reads tensors back to the host, written once for a synchronous and an
 * asynchronous driver: it yields each tensor whose values it needs (the driver reads it, then
 * disposes it: yielding hands the tensor over) and receives the values as the result of `yield`.
 * {@link runReadsSync} reads with `dataSync`, {@link runReadsAsync} awaits `data()` (on webgpu and
 * webgl the main thread is then free while the GPU works, and no canvas copy is needed).
 * It may also yield a {@link HostPrefetch} (the result of that `yield` is an empty array).
 * A read that throws is thrown into the generator at its `yield`, so its `finally` blocks run.
 */
export type Reads<T> = Generator<tf.Tensor | HostPrefetch, T, tf.TypedArray>;

const NOTHING = new Float32Array(0);

/**
 * Yields a {@link HostPrefetch} of the variables, when there are any (a {@link Reads} step).
 *
 * @param variables - The variables whose values the next forward pass reads on the host.
 * @returns When the async driver has them on the host (at once with the sync driver).
 */
export function* prefetchReads(variables: readonly tf.Variable[]): Reads<void> {
  if (variables.length > 0) yield new HostPrefetch(variables);
}

/**
 * The variables of the parameters marked `hostRead` (`@gflow/models`' `Parameter`: those whose
 * values the forward pass reads on the host), in order: what {@link prefetchReads} takes.
 */
export function hostReadVariables(
  params: readonly { readonly variable: tf.Variable; readonly hostRead?: boolean }[],
): tf.Variable[] {
  return params.filter((p) => p.hostRead === true).map((p) => p.variable);
}

/** Runs a {@link Reads} computation with synchronous reads (`dataSync`). */
export function runReadsSync<T>(g: Reads<T>): T {
  let step = g.next();
  while (!step.done) {
    const t = step.value;
    if (t instanceof HostPrefetch) {
      step = g.next(NOTHING);
      continue;
    }
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
      if (t instanceof HostPrefetch) {
        await Promise.all(t.variables.map((v) => v.data()));
        values = NOTHING;
      } else {
        values = await t.data();
      }
    } catch (err) {
      if (!(t instanceof HostPrefetch)) t.dispose();
      step = g.throw(err);
      continue;
    }
    if (!(t instanceof HostPrefetch)) t.dispose();
    step = g.next(values);
  }
  return step.value;
}
