/**
 * Test helpers for the contract that lets gflow's async drivers run models whose forward pass
 * reads parameters on the host (the orthogonal RNN) on webgpu: no such parameter is read
 * synchronously (`dataSync`) unless its current values were awaited (`data()`) since it last
 * changed, so that the read takes tfjs's host copy instead of the GPU. Shared by the diagnostics'
 * and the landscape's host-read tests.
 */
import type * as tf from '@tensorflow/tfjs';
import { vi } from 'vitest';
import { hostReadVariables } from '../internal/reads.js';

/**
 * Spies on `data` and `dataSync` of `Tensor` (from the caller's tfjs): every synchronous read of
 * a watched variable whose current buffer (dataId) was not awaited before is pushed to `stale`
 * (a trained or moved variable gets a new dataId, so the check is per buffer). Undo with
 * `vi.restoreAllMocks()`.
 */
export function watchParameterReads(
  tfjs: { Tensor: typeof tf.Tensor },
  watched: readonly tf.Variable[],
): { stale: string[] } {
  const awaited = new WeakSet<object>();
  const stale: string[] = [];
  const data = tfjs.Tensor.prototype.data;
  vi.spyOn(tfjs.Tensor.prototype, 'data').mockImplementation(async function (this: tf.Tensor) {
    const values = await data.call(this);
    awaited.add(this.dataId);
    return values as never;
  });
  const dataSync = tfjs.Tensor.prototype.dataSync;
  vi.spyOn(tfjs.Tensor.prototype, 'dataSync').mockImplementation(function (this: tf.Tensor) {
    if (watched.includes(this as tf.Variable) && !awaited.has(this.dataId))
      stale.push((this as tf.Variable).name);
    return dataSync.call(this) as never;
  });
  return { stale };
}

/** The variables of a module's parameters marked `hostRead`. */
export const hostReadVariablesOf = (m: {
  parameters(): readonly { variable: tf.Variable; hostRead?: boolean }[];
}): tf.Variable[] => hostReadVariables(m.parameters());
