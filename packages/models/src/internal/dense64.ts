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

/** C = A·B for square n×n row-major float64 matrices (i-k-j loop order, cache friendly). */
export function matmul64(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ci = i * n;
    for (let k = 0; k < n; k++) {
      const aik = a[ci + k] as number;
      if (aik === 0) continue;
      const bk = k * n;
      for (let j = 0; j < n; j++) c[ci + j] = (c[ci + j] as number) + aik * (b[bk + j] as number);
    }
  }
  return c;
}

/** The 1-norm (maximum absolute column sum) of an n×n row-major matrix. */
export function norm1(a: Float64Array, n: number): number {
  let best = 0;
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.abs(a[i * n + j] as number);
    best = Math.max(best, s);
  }
  return best;
}

/**
 * exp(A) in float64 for an n×n row-major matrix, by scaling and squaring with a Taylor series:
 * exp(A) = (T_m(A/2^s))^{2^s} with ‖A/2^s‖₁ ≤ 1/2 and terms added until they fall below 1e-18
 * relative (at most 30; the remainder is then below 0.5^31/31! ≈ 6e-44).
 */
export function expm64(a: Float64Array, n: number): Float64Array {
  const nrm = norm1(a, n);
  const s = nrm > 0.5 ? Math.ceil(Math.log2(nrm / 0.5)) : 0;
  const scale = 2 ** -s;
  const b = a.map((v) => v * scale);
  const result = new Float64Array(n * n);
  for (let i = 0; i < n; i++) result[i * n + i] = 1;
  let term: Float64Array = result.slice();
  for (let k = 1; k <= 30; k++) {
    term = matmul64(term, b, n);
    for (let i = 0; i < term.length; i++) term[i] = (term[i] as number) / k;
    for (let i = 0; i < term.length; i++) result[i] = (result[i] as number) + (term[i] as number);
    if (norm1(term, n) < 1e-18 * Math.max(1, norm1(result, n))) break;
  }
  let r: Float64Array = result;
  for (let i = 0; i < s; i++) r = matmul64(r, r, n);
  return r;
}
