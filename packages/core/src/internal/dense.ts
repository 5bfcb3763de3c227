/**
 * Decompositions of dense float64 matrices through ml-matrix, shared by the public spectra functions.
 *
 * @internal
 * @module
 */
import { EigenvalueDecomposition, SingularValueDecomposition } from 'ml-matrix';
import { ConvergenceError, describeValue, InvalidArgumentError } from '../errors.js';
import type { DenseMatrix } from '../matrix-like.js';
import { powerIteration } from '../power-iteration.js';
import type { SpectralNormOptions } from '../spectral-norm.js';
import { topSingularValueLanczos } from './gram-lanczos.js';
import { matvec, matvecT, toMl } from './matrix.js';
import { requireInteger, requirePositive } from './validate.js';

/**
 * All singular values of a dense float64 matrix, descending (ml-matrix's Golub–Kahan SVD, no
 * vectors). The matrix is first scaled by the power of two nearest below its largest |entry|
 * (exact), so that entries near the overflow or subnormal range neither overflow in the
 * library's sums of squares nor lose their digits; the values are scaled back (exact, unless σ
 * itself overflows to Infinity).
 */
export function denseSingularValues(m: DenseMatrix, fn = 'singularValues'): number[] {
  let largest = 0;
  for (let i = 0; i < m.data.length; i++) {
    const x = Math.abs(m.data[i]!);
    if (x > largest) largest = x;
  }
  const k = Math.min(m.rows, m.cols);
  if (largest === 0) return new Array<number>(k).fill(0);
  const e = Math.min(Math.floor(Math.log2(largest)), 1023);
  // 2^e as a product of two normal powers of two when e < −1022 (2^e alone would be subnormal).
  const up = e < -1000 ? 2 ** -1000 : 1;
  const scale = 2 ** (e < -1000 ? e + 1000 : e);
  const scaled = { rows: m.rows, cols: m.cols, data: m.data.map((x) => x / up / scale) };
  const svd = new SingularValueDecomposition(toMl(scaled), {
    computeLeftSingularVectors: false,
    computeRightSingularVectors: false,
    autoTranspose: true,
  });
  const s = Array.from(svd.diagonal, (x) => Math.abs(x) * scale * up).sort((a, b) => b - a);
  if (s.some(Number.isNaN)) {
    throw new ConvergenceError(`${fn}: singular values must be finite, got NaN from ml-matrix's SVD`);
  }
  return s;
}

function isSymmetric(m: DenseMatrix): boolean {
  const n = m.rows;
  const d = m.data;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (d[i * n + j] !== d[j * n + i]) return false;
  return true;
}

/** Eigenvalues of a dense square float64 matrix (sorted by real part, then imaginary part, descending). */
export function denseEigenvalues(m: DenseMatrix): { re: number[]; im: number[] } {
  const evd = new EigenvalueDecomposition(toMl(m), { assumeSymmetric: isSymmetric(m) });
  const re = evd.realEigenvalues;
  const im = evd.imaginaryEigenvalues;
  const idx = re.map((_, i) => i).sort((a, b) => re[b]! - re[a]! || im[b]! - im[a]!);
  return { re: idx.map((i) => re[i]!), im: idx.map((i) => im[i]!) };
}

/** σ_max of a dense matrix (shared by spectralNorm, stableRank and spectralNormalize). */
export function denseSpectralNorm(fn: string, m: DenseMatrix, options: SpectralNormOptions = {}): number {
  const method = options.method ?? 'auto';
  if (!['auto', 'lanczos', 'power', 'exact'].includes(method)) {
    throw new InvalidArgumentError(
      `${fn}: options.method must be 'auto', 'lanczos', 'power' or 'exact', got ${describeValue(method)}`,
    );
  }
  const tol = requirePositive(fn, 'options.tol', options.tol ?? 1e-10);
  const seed = options.seed ?? 0;
  const small = Math.min(m.rows, m.cols);
  if (method === 'exact' || (method === 'auto' && small <= 64)) return denseSingularValues(m, fn)[0]!;
  if (method === 'power') {
    const maxIter = requireInteger(fn, 'options.maxIter', options.maxIter ?? 10_000, 1);
    const tall = m.rows >= m.cols;
    const inner = new Float64Array(tall ? m.rows : m.cols);
    const gram = (v: Float64Array): Float64Array =>
      tall ? matvecT(m, matvec(m, v, inner)) : matvec(m, matvecT(m, v, inner));
    // Residual ‖Gv − θv‖ ≤ 2·tol·θ bounds the relative error of σ = √θ by about tol (Rayleigh quotient).
    const r = powerIteration(gram, small, { tol: 2 * tol, maxIter, seed });
    if (!r.converged) {
      throw new ConvergenceError(
        `${fn}: power iteration must reach relative residual ${2 * tol} within options.maxIter = ${maxIter} iterations, got ${r.residual / Math.abs(r.value)}; use method 'lanczos'`,
      );
    }
    return Math.sqrt(Math.max(r.value, 0));
  }
  const maxIter = requireInteger(fn, 'options.maxIter', options.maxIter ?? 300, 1);
  const r = topSingularValueLanczos(m, tol, maxIter, seed);
  if (!r.converged) {
    throw new ConvergenceError(
      `${fn}: Lanczos must reach relative error ${tol} within options.maxIter = ${maxIter} steps, got ${r.relError.toExponential(2)}; raise maxIter or use method 'exact'`,
    );
  }
  return r.sigma;
}
