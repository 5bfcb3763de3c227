import type { Parameter } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { HOST_MEMORY_ENGINES, hostSquaredNorm } from './host-activation-stats.js';
import { decodeSquared, scaledPairs } from './norms.js';
import type { BatchedRead, NamedTensors } from './tensors.js';

/**
 * Per parameter, [‖∂L/∂θ‖², ‖θ‖²] in float64 (NaN for a gradient absent from `grads`), interleaved
 * in `params` order, exact to float32 rounding at every magnitude (no float32 Σx²: see
 * `norms.ts`). On an engine whose tensors live in host memory each tensor is read back and
 * summed in float64 now (two reads per parameter cost less than the five kernels of the device
 * path: 180 parameters of a 30-block conv net dispatched 900); elsewhere two reductions per
 * parameter join `reader`'s batched read as scale-safe pairs. Call the returned function with the values `reader`
 * read. `grads` may be disposed once this returns.
 *
 * @param onDevice - Force the device path (default: on every engine but the host-memory ones).
 */
export function parameterSquaredNorms(
  params: readonly Parameter[],
  grads: NamedTensors,
  reader: BatchedRead,
  onDevice = !HOST_MEMORY_ENGINES.has(tf.getBackend()),
): (read: Float64Array) => Float64Array {
  if (!onDevice) {
    const out = new Float64Array(2 * params.length);
    params.forEach((p, i) => {
      const g = grads[p.name];
      out[2 * i] = g ? hostSquaredNorm(g.dataSync() as ArrayLike<number>) : Number.NaN;
      out[2 * i + 1] = hostSquaredNorm(p.variable.dataSync() as ArrayLike<number>);
    });
    return () => out;
  }
  // Scale-safe pairs [m, s] on the device (‖x‖² = m²·s), gradient then weight for each parameter;
  // a gradient absent from `grads` is a NaN pair.
  const at = tf.tidy(() => {
    const parts = params.map((p) => {
      const g = grads[p.name];
      return tf.concat([
        g ? scaledPairs({ g }, ['g'], false) : tf.tensor1d([Number.NaN, Number.NaN]),
        scaledPairs({ w: p.variable }, ['w'], false),
      ]);
    });
    return parts.length === 0 ? -1 : reader.add(tf.keep(tf.concat(parts)));
  });
  return (read) => (at < 0 ? new Float64Array(0) : decodeSquared(read, at, 2 * params.length));
}
