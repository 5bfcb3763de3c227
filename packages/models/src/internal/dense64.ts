import { Matrix } from 'ml-matrix';

/** A float64 matrix from row-major data. */
export function toMatrix(data: ArrayLike<number>, rows: number, cols: number): Matrix {
  const m = new Matrix(rows, cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) m.set(i, j, data[i * cols + j] as number);
  return m;
}

/** Row-major float32 data of a matrix. */
export function toFloat32(m: Matrix): Float32Array {
  const out = new Float32Array(m.rows * m.columns);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.columns; j++) out[i * m.columns + j] = m.get(i, j);
  return out;
}

/** The 1-norm (maximum absolute column sum). */
export function norm1(m: Matrix): number {
  let best = 0;
  for (let j = 0; j < m.columns; j++) {
    let s = 0;
    for (let i = 0; i < m.rows; i++) s += Math.abs(m.get(i, j));
    best = Math.max(best, s);
  }
  return best;
}

/**
 * exp(A) in float64 by scaling and squaring with a Taylor series: exp(A) = (T_m(A/2^s))^{2^s} with
 * ‖A/2^s‖₁ ≤ 1/2 and terms added until they fall below 1e-18 relative (at most 30).
 */
export function expm64(a: Matrix): Matrix {
  const n = a.rows;
  const nrm = norm1(a);
  const s = nrm > 0.5 ? Math.ceil(Math.log2(nrm / 0.5)) : 0;
  const b = a.clone().div(2 ** s);
  let result = Matrix.eye(n, n);
  let term = Matrix.eye(n, n);
  for (let k = 1; k <= 30; k++) {
    term = term.mmul(b).div(k);
    result = result.add(term);
    if (norm1(term) < 1e-18 * Math.max(1, norm1(result))) break;
  }
  for (let i = 0; i < s; i++) result = result.mmul(result);
  return result;
}
