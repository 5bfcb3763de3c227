import { describe, expect, it } from 'vitest';
import { haarOrthogonal } from './orthogonal.js';
import { Rng } from './rng.js';

/** max |(A·Aᵀ or Aᵀ·A) − I| over the short side, for a row-major rows × cols matrix. */
function orthonormalityError(a: Float64Array, rows: number, cols: number): number {
  const tall = rows >= cols;
  const k = tall ? cols : rows;
  let worst = 0;
  for (let p = 0; p < k; p++) {
    for (let q = 0; q < k; q++) {
      let s = 0;
      const len = tall ? rows : cols;
      for (let t = 0; t < len; t++) {
        s += tall
          ? (a[t * cols + p] as number) * (a[t * cols + q] as number)
          : (a[p * cols + t] as number) * (a[q * cols + t] as number);
      }
      worst = Math.max(worst, Math.abs(s - (p === q ? 1 : 0)));
    }
  }
  return worst;
}

describe('haarOrthogonal', () => {
  it('has orthonormal columns when tall and orthonormal rows when wide (to 1e-12)', () => {
    for (const [r, c] of [
      [1, 1],
      [5, 5],
      [7, 3],
      [3, 7],
      [16, 1],
    ] as const) {
      const q = haarOrthogonal(r, c, new Rng(r * 10 + c));
      expect(q.length).toBe(r * c);
      expect(orthonormalityError(q, r, c)).toBeLessThan(1e-12);
    }
  });

  it('is Q·diag(sign r_jj) of the Gaussian matrix it drew: Qᵀ·G is upper triangular with a positive diagonal', () => {
    const [m, n] = [6, 4];
    const q = haarOrthogonal(m, n, new Rng(9));
    const g = new Rng(9).normalVector(m * n); // the same draws, row by row
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < m; t++) s += (q[t * n + i] as number) * (g[t * n + j] as number);
        if (i === j) expect(s).toBeGreaterThan(0);
        if (i > j) expect(Math.abs(s)).toBeLessThan(1e-12);
      }
    }
  });

  it('is Haar on O(2): the rotation angle of 2×2 draws is uniform (mean cos and sin near 0)', () => {
    const rng = new Rng(1);
    const n = 20_000;
    let c = 0;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const q = haarOrthogonal(2, 2, rng);
      c += q[0] as number;
      s += q[2] as number;
    }
    // cos θ and sin θ of a uniform angle have mean 0 and sd 1/√2: 5 sd of the mean is 0.025.
    expect(Math.abs(c / n)).toBeLessThan(0.025);
    expect(Math.abs(s / n)).toBeLessThan(0.025);
  });
});
