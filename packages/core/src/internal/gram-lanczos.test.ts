import { describe, expect, it } from 'vitest';
import { orthogonalMatrix } from '../initialization.js';
import { expectClose } from '../test-utils/helpers.js';
import { topSingularValueLanczos } from './gram-lanczos.js';
import { matmul } from './matrix.js';

/** A = U diag(s) Vᵀ with Haar-orthogonal U (m×m) and V (n×n): its singular values are s by construction. */
function withSingularValues(m: number, n: number, s: number[], seed: number) {
  const u = orthogonalMatrix(m, { seed });
  const v = orthogonalMatrix(n, { seed: seed + 1 });
  const us = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let k = 0; k < s.length; k++) us[i * n + k] = u.data[i * m + k]! * s[k]!;
  const vt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) vt[i * n + j] = v.data[j * n + i]!;
  return matmul({ rows: m, cols: n, data: us }, { rows: n, cols: n, data: vt });
}

describe('Gram-operator Lanczos', () => {
  it('finds σ_max of a crowded top of the spectrum to 1e-12 (needs working reorthogonalization)', () => {
    // σ = 10(1 − 1e-3·i) for i < 20, then a spread down to 0.1: converged Ritz values come back as
    // spurious copies once orthogonality is lost, and the error estimate (which uses the gap to the
    // next Ritz value) would then be wrong. σ_max = 10 by construction.
    // (A cluster tighter than the tolerance, e.g. 20 values within 1e-8 relative, is beyond this
    // estimate: the Ritz value may settle anywhere in the cluster; the error is then at most its width.)
    const m = 160;
    const n = 120;
    const s = Array.from({ length: n }, (_, i) => (i < 20 ? 10 * (1 - i * 1e-3) : 9.8 * 0.97 ** (i - 19)));
    const a = withSingularValues(m, n, s, 7);
    for (const seed of [0, 1, 2]) {
      const r = topSingularValueLanczos(a, 1e-12, 300, seed);
      expect(r.converged).toBe(true);
      expectClose(r.sigma, 10, 0, 1e-11);
    }
  });

  it('reaches the tolerance it reports on a wide matrix and stops at an invariant subspace', () => {
    // Rank 3: A = U diag(4, 2, 1) Vᵀ restricted to 3 columns of U and V. The Krylov space of AᵀA
    // is at most 4-dimensional (3 directions plus the null space component), so Lanczos ends there.
    const m = 30;
    const n = 50;
    const a = withSingularValues(m, n, [4, 2, 1], 3);
    const r = topSingularValueLanczos(a, 1e-14, 300, 5);
    expect(r.converged).toBe(true);
    expect(r.steps).toBeLessThanOrEqual(5);
    expectClose(r.sigma, 4, 0, 1e-13);
  });
});
