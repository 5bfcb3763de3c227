import { InvalidArgumentError, ShapeError } from '@gflow/core';
import type * as tf from '@tensorflow/tfjs';

/**
 * Checks the inputs of a gated whole-sequence kernel (LSTM, GRU): every input float32; `h0`
 * [b, n] and the sequence (`u`, else `h`) [b, T, …] with b, n, T ≥ 1; then every input named in
 * `want(b, T, n)` has exactly that shape. Returns [b, T, n].
 * @throws InvalidArgumentError (dtype) or ShapeError (shape), naming the kernel and the input.
 */
export function checkGatedInputs(
  kernel: string,
  inputs: Record<string, tf.TensorInfo>,
  want: (b: number, T: number, n: number) => Record<string, number[]>,
): [number, number, number] {
  for (const [k, t] of Object.entries(inputs)) {
    if (t === undefined || t.dtype !== 'float32') {
      throw new InvalidArgumentError(
        `${kernel}: ${k} must be a float32 tensor, got ${t === undefined ? 'none' : t.dtype}`,
      );
    }
  }
  const h0 = inputs.h0 as tf.TensorInfo;
  const shape = (t: tf.TensorInfo): string => `[${t.shape.join(', ')}]`;
  if (h0.shape.length !== 2 || h0.shape.some((d) => d < 1)) {
    throw new ShapeError(`${kernel}: h0 must be [batch, hidden] with every size ≥ 1, got ${shape(h0)}`);
  }
  const [b, n] = h0.shape as [number, number];
  const seq = (inputs.u ?? inputs.h) as tf.TensorInfo;
  const T = seq.shape[1] ?? 0;
  if (seq.shape.length !== 3 || T < 1) {
    throw new ShapeError(
      `${kernel}: ${inputs.u ? 'u' : 'h'} must be [batch, steps, …] with steps ≥ 1, got ${shape(seq)}`,
    );
  }
  for (const [k, s] of Object.entries(want(b, T, n))) {
    const t = inputs[k];
    if (t !== undefined && (t.shape.length !== s.length || t.shape.some((d, i) => d !== s[i]))) {
      throw new ShapeError(`${kernel}: ${k} must be [${s.join(', ')}] for h0 ${shape(h0)}, got ${shape(t)}`);
    }
  }
  return [b, T, n];
}
