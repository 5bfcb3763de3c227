import {
  type DenseMatrix,
  describeValue,
  InvalidArgumentError,
  NonFiniteError,
  ShapeError,
} from '@gflow/core';
import * as tf from '@tensorflow/tfjs';

/** Throws unless `w` is a float32 tensor (a weight), of rank 2 when `matrix`. */
export function checkWeight(fn: string, w: unknown, matrix: boolean): tf.Tensor {
  if (!(w instanceof tf.Tensor)) {
    throw new InvalidArgumentError(`${fn}: weight must be a tensor (or variable), got ${describeValue(w)}`);
  }
  if (w.isDisposed) {
    throw new InvalidArgumentError(`${fn}: weight was disposed (shape [${w.shape}]); pass a live tensor`);
  }
  if (w.dtype !== 'float32') {
    throw new InvalidArgumentError(`${fn}: weight must be float32, got ${w.dtype}`);
  }
  if (matrix && w.rank !== 2) {
    throw new ShapeError(`${fn}: weight must be a 2-D matrix, got shape [${w.shape}]`);
  }
  if (w.size === 0) {
    throw new ShapeError(`${fn}: weight must have at least one entry, got shape [${w.shape}]`);
  }
  return w;
}

/** Reads a 2-D weight back as a float64 matrix, throwing on NaN or ±Infinity. */
export function readMatrix(fn: string, w: tf.Tensor): DenseMatrix {
  const [rows, cols] = w.shape as [number, number];
  const data = Float64Array.from(w.dataSync());
  let bad = 0;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i] as number)) bad++;
  if (bad > 0) {
    throw new NonFiniteError(`${fn}: weight must be finite, got ${bad} NaN or ±Infinity entries`);
  }
  return { rows, cols, data };
}

/** Reads and checks λ ≥ 0 (default 1) from a penalty's options. */
export function readLambda(fn: string, options: unknown): number {
  if (options == null || typeof options !== 'object') {
    throw new InvalidArgumentError(`${fn}: options must be an object, got ${describeValue(options)}`);
  }
  const lambda = (options as { lambda?: unknown }).lambda ?? 1;
  if (typeof lambda !== 'number' || !Number.isFinite(lambda) || lambda < 0) {
    throw new InvalidArgumentError(
      `${fn}: options.lambda must be a finite number ≥ 0, got ${describeValue(lambda)}`,
    );
  }
  return lambda;
}

/** The m×n float32 tensor Σ_l a_l·x_l y_lᵀ over the given columns of X (m×k) and Y (n×k). */
export function outerSum(
  x: DenseMatrix,
  y: DenseMatrix,
  columns: readonly number[],
  weights: readonly number[],
): tf.Tensor2D {
  const m = x.rows;
  const n = y.rows;
  const k = x.cols;
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      columns.forEach((l, c) => {
        s += (weights[c] as number) * (x.data[i * k + l] as number) * (y.data[j * k + l] as number);
      });
      out[i * n + j] = s;
    }
  }
  return tf.tensor2d(out, [m, n]);
}
