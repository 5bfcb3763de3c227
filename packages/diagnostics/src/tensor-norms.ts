import { describeValue, InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { decodeSquared, scaledPairs } from './internal/norms.js';

/**
 * The Euclidean (Frobenius) norm of each tensor of a record, as float64 numbers, exact to float32
 * rounding at every magnitude: ‖x‖ = m·√(Σ(xᵢ/m)²) with m = max|xᵢ| (the scaling of BLAS `nrm2`),
 * squared and summed in float64. `tf.norm` squares in float32, so it says 0 for elements below about
 * 1e-19 and ∞ above 1.8e19; this says 1.5e-36 and 6.3e29 where those are the norms. One read-back
 * for the whole record. An infinite element gives `Infinity`, a NaN gives `NaN`; an all-zero tensor
 * gives exactly 0.
 *
 * This is the norm every gflow measurement uses (taps, parameters, the global norm, the monitor,
 * clipping, the guard).
 *
 * @param tensors - Tensors by name (any dtype; int and bool are read as float32).
 * @returns The norms by the same names.
 * @throws InvalidArgumentError (from `@gflow/core`) when `tensors` is not a record of live tensors.
 * @example
 * ```ts
 * tensorNorms({ a: tf.fill([4], 1e-30), b: tf.tensor1d([3e30, 4e30]) });
 * // { a: 2e-30, b: 5e30 } (tf.norm says 0 and Infinity)
 * ```
 * @see Blue 1978, "A portable Fortran program to find the Euclidean norm of a vector" (ACM TOMS).
 */
export function tensorNorms(tensors: Readonly<Record<string, tf.Tensor>>): Record<string, number> {
  if (tensors == null || typeof tensors !== 'object' || Array.isArray(tensors)) {
    throw new InvalidArgumentError(
      `tensorNorms: tensors must be a record of tensors, got ${describeValue(tensors)}`,
    );
  }
  const names = Object.keys(tensors);
  for (const n of names) {
    const t = tensors[n];
    if (!(t instanceof tf.Tensor) || t.isDisposed) {
      throw new InvalidArgumentError(
        `tensorNorms: tensors[${JSON.stringify(n)}] must be a live tensor, got ${t instanceof tf.Tensor ? 'a disposed tensor' : describeValue(t)}`,
      );
    }
  }
  const out: Record<string, number> = {};
  if (names.length === 0) return out;
  const pairs = scaledPairs(tensors, names);
  const squared = decodeSquared(pairs.dataSync() as ArrayLike<number>, 0, names.length);
  pairs.dispose();
  names.forEach((n, i) => {
    out[n] = Math.sqrt(squared[i] as number);
  });
  return out;
}
