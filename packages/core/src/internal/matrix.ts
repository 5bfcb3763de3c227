/**
 * Conversions between {@link MatrixLike} inputs, float64 row-major storage and ml-matrix.
 *
 * @internal
 * @module
 */
import { Matrix } from 'ml-matrix';
import { describeValue, NonFiniteError, ShapeError } from '../errors.js';
import type { DenseMatrix, MatrixLike } from '../matrix-like.js';

function isTyped(a: unknown): a is { rows: unknown; cols: unknown; data: unknown } {
  return typeof a === 'object' && a !== null && !Array.isArray(a) && 'data' in a;
}

function shapeOf(a: unknown): string {
  if (Array.isArray(a)) {
    const inner = a[0];
    return Array.isArray(inner) ? `[${a.length}, ${inner.length}]` : `[${a.length}]`;
  }
  return describeValue(a);
}

/**
 * Reads a matrix input as float64 row-major data. A `Float64Array` matrix is used as is (not
 * copied; callers never write into the result); anything else is copied once.
 * Checks the shape and that every entry is finite.
 */
export function toDense(fn: string, arg: string, a: MatrixLike): DenseMatrix {
  if (Array.isArray(a)) {
    const rows = a.length;
    const first = a[0];
    if (rows === 0 || !Array.isArray(first) || first.length === 0) {
      throw new ShapeError(
        `${fn}: ${arg} must be a non-empty 2-D array (number[][]), got shape ${shapeOf(a)}`,
      );
    }
    const cols = first.length;
    const data = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const row = a[i];
      if (!Array.isArray(row) || row.length !== cols) {
        throw new ShapeError(
          `${fn}: ${arg} must have rows of equal length ${cols}, got row ${i} of ${Array.isArray(row) ? `length ${row.length}` : describeValue(row)}`,
        );
      }
      for (let j = 0; j < cols; j++) {
        const x = row[j];
        if (typeof x !== 'number' || !Number.isFinite(x)) {
          throw new NonFiniteError(
            `${fn}: ${arg} must have finite entries, got ${describeValue(x)} at [${i}, ${j}]`,
          );
        }
        data[i * cols + j] = x;
      }
    }
    return { rows, cols, data };
  }
  if (!isTyped(a)) {
    throw new ShapeError(
      `${fn}: ${arg} must be number[][] or { rows, cols, data } with a Float32Array/Float64Array, got ${describeValue(a)}`,
    );
  }
  const { rows, cols, data } = a;
  if (
    typeof rows !== 'number' ||
    typeof cols !== 'number' ||
    !Number.isInteger(rows) ||
    !Number.isInteger(cols) ||
    rows < 1 ||
    cols < 1
  ) {
    throw new ShapeError(
      `${fn}: ${arg} must have positive integer rows and cols, got rows ${describeValue(rows)}, cols ${describeValue(cols)}`,
    );
  }
  if (!(data instanceof Float64Array) && !(data instanceof Float32Array)) {
    throw new ShapeError(
      `${fn}: ${arg}.data must be a Float32Array or Float64Array, got ${describeValue(data)}`,
    );
  }
  if (data.length !== rows * cols) {
    throw new ShapeError(
      `${fn}: ${arg}.data must have rows * cols = ${rows * cols} entries, got ${data.length} for shape [${rows}, ${cols}]`,
    );
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      throw new NonFiniteError(
        `${fn}: ${arg} must have finite entries, got ${data[i]} at [${Math.floor(i / cols)}, ${i % cols}]`,
      );
    }
  }
  return { rows, cols, data: data instanceof Float64Array ? data : Float64Array.from(data) };
}

/** Throws a ShapeError unless the matrix is square. */
export function requireSquare(fn: string, arg: string, m: DenseMatrix): void {
  if (m.rows !== m.cols) {
    throw new ShapeError(`${fn}: ${arg} must be square, got shape [${m.rows}, ${m.cols}]`);
  }
}

/** Copies float64 row-major data into an ml-matrix `Matrix`. */
export function toMl(m: DenseMatrix): Matrix {
  const out = new Matrix(m.rows, m.cols);
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.cols; j++) out.set(i, j, m.data[i * m.cols + j]!);
  }
  return out;
}

/** Copies an ml-matrix `Matrix` into float64 row-major storage. */
export function fromMl(m: Matrix): DenseMatrix {
  const rows = m.rows;
  const cols = m.columns;
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[i * cols + j] = m.get(i, j);
  return { rows, cols, data };
}

/** `y = A x` for row-major A (rows × cols). */
export function matvec(
  a: DenseMatrix,
  x: Float64Array,
  y: Float64Array = new Float64Array(a.rows),
): Float64Array {
  const { rows, cols, data } = a;
  for (let i = 0; i < rows; i++) {
    let s = 0;
    const o = i * cols;
    for (let j = 0; j < cols; j++) s += data[o + j]! * x[j]!;
    y[i] = s;
  }
  return y;
}

/** `y = Aᵀ x` for row-major A (rows × cols), accumulating row by row (cache friendly). */
export function matvecT(
  a: DenseMatrix,
  x: Float64Array,
  y: Float64Array = new Float64Array(a.cols),
): Float64Array {
  const { rows, cols, data } = a;
  y.fill(0);
  for (let i = 0; i < rows; i++) {
    const xi = x[i]!;
    if (xi === 0) continue;
    const o = i * cols;
    for (let j = 0; j < cols; j++) y[j]! += data[o + j]! * xi;
  }
  return y;
}

/** `C = A B` for row-major matrices. */
export function matmul(a: DenseMatrix, b: DenseMatrix): DenseMatrix {
  const n = a.rows;
  const k = a.cols;
  const m = b.cols;
  const c = new Float64Array(n * m);
  const ad = a.data;
  const bd = b.data;
  for (let i = 0; i < n; i++) {
    const co = i * m;
    for (let p = 0; p < k; p++) {
      const aip = ad[i * k + p]!;
      if (aip === 0) continue;
      const bo = p * m;
      for (let j = 0; j < m; j++) c[co + j]! += aip * bd[bo + j]!;
    }
  }
  return { rows: n, cols: m, data: c };
}

/** Euclidean norm of a vector, scaled to avoid overflow and underflow. */
export function norm2(v: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < v.length; i++) {
    const a = Math.abs(v[i]!);
    if (a > scale) scale = a;
  }
  if (scale === 0 || !Number.isFinite(scale)) return scale;
  let s = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]! / scale;
    s += x * x;
  }
  return scale * Math.sqrt(s);
}

/** Dot product. */
export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
