import { Matrix, QrDecomposition } from 'ml-matrix';
import type { Rng } from './rng.js';

/**
 * gflow's one Haar-orthogonal sampler: a rows × cols matrix (row-major, float64) with orthonormal
 * columns when rows ≥ cols and orthonormal rows otherwise. It is Q from the QR decomposition of a
 * max × min standard Gaussian matrix drawn from `rng` (row by row), with each column's sign fixed
 * so that R has a positive diagonal (Q ← Q·diag(sign r_jj)); without that correction Q is not
 * Haar-distributed (Mezzadri 2007). Wide shapes are the transpose of the tall one.
 *
 * @param rows - Rows ≥ 1.
 * @param cols - Columns ≥ 1.
 * @param rng - The stream to draw from.
 * @returns rows·cols entries, row-major.
 */
export function haarOrthogonal(rows: number, cols: number, rng: Rng): Float64Array {
  const tall = rows >= cols;
  const m = tall ? rows : cols;
  const n = tall ? cols : rows;
  const g = new Matrix(m, n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) g.set(i, j, rng.normal());
  const qr = new QrDecomposition(g);
  const q = qr.orthogonalMatrix; // m × m
  const r = qr.upperTriangularMatrix;
  const out = new Float64Array(rows * cols);
  for (let j = 0; j < n; j++) {
    const s = r.get(j, j) < 0 ? -1 : 1;
    for (let i = 0; i < m; i++) {
      const v = q.get(i, j) * s;
      if (tall) out[i * cols + j] = v;
      else out[j * cols + i] = v;
    }
  }
  return out;
}
