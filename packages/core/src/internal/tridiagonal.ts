/**
 * The symmetric tridiagonal eigenproblem, solved by ml-matrix's symmetric eigendecomposition
 * (Householder tridiagonalization + implicit QL, from JAMA/EISPACK tred2/tql2).
 *
 * @internal
 * @module
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

/** Eigenvalues (ascending) and unit eigenvectors of the tridiagonal T = tridiag(beta, alpha, beta). */
export interface TridiagonalEigen {
  /** Eigenvalues in ascending order. */
  readonly values: Float64Array;
  /** `vectors[i]` is the unit eigenvector of `values[i]` (length n). */
  readonly vectors: Float64Array[];
}

/** Solves the symmetric tridiagonal eigenproblem with diagonal `alpha` and off-diagonal `beta`. */
export function tridiagonalEigen(alpha: ArrayLike<number>, beta: ArrayLike<number>): TridiagonalEigen {
  const n = alpha.length;
  if (n === 1) return { values: Float64Array.of(alpha[0]!), vectors: [Float64Array.of(1)] };
  const t = new Matrix(n, n);
  for (let i = 0; i < n; i++) {
    t.set(i, i, alpha[i]!);
    if (i + 1 < n) {
      t.set(i, i + 1, beta[i]!);
      t.set(i + 1, i, beta[i]!);
    }
  }
  const evd = new EigenvalueDecomposition(t, { assumeSymmetric: true });
  const vals = evd.realEigenvalues;
  const vecs = evd.eigenvectorMatrix;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => vals[a]! - vals[b]!);
  const values = new Float64Array(n);
  const vectors: Float64Array[] = [];
  order.forEach((src, dst) => {
    values[dst] = vals[src]!;
    const v = new Float64Array(n);
    let s = 0;
    for (let i = 0; i < n; i++) {
      v[i] = vecs.get(i, src);
      s += v[i]! * v[i]!;
    }
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < n; i++) v[i]! *= inv;
    vectors.push(v);
  });
  return { values, vectors };
}
