/**
 * The matrix and operator types accepted across `@gflow/core`.
 *
 * @module
 */

/**
 * A dense row-major matrix backed by a typed array, as produced by `tensor.dataSync()` plus the
 * tensor's shape. Entry (i, j) is `data[i * cols + j]`.
 */
export interface TypedMatrix {
  /** Number of rows (≥ 1). */
  readonly rows: number;
  /** Number of columns (≥ 1). */
  readonly cols: number;
  /** The `rows * cols` entries in row-major order. */
  readonly data: Float32Array | Float64Array;
}

/** A float64 dense row-major matrix; what functions in `@gflow/core` return. */
export interface DenseMatrix {
  /** Number of rows. */
  readonly rows: number;
  /** Number of columns. */
  readonly cols: number;
  /** The `rows * cols` entries in row-major order. */
  readonly data: Float64Array;
}

/**
 * Any matrix input: nested arrays (`number[][]`, one inner array per row) or a typed-array
 * matrix `{ rows, cols, data }` in row-major order. Inputs are never mutated.
 */
export type MatrixLike = readonly (readonly number[])[] | TypedMatrix;

/**
 * A linear operator given by its action on a vector, `v ↦ Av`. It must not keep or mutate `v`
 * and must return a new vector of the same length. Used by `powerIteration` and `lanczos`
 * (for example with Hessian-vector products).
 */
export type Matvec = (v: Float64Array) => Float64Array;
