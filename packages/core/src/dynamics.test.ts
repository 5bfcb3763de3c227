import { describe, expect, it } from 'vitest';
import { orthogonalMatrix } from './initialization.js';
import { jacobianProductNorms } from './jacobian-products.js';
import { lyapunovSpectrum, maxLyapunovExponent } from './lyapunov.js';
import { expectAllClose, expectClose, randomMatrix } from './test-utils/helpers.js';

const diag = (d: number[]): number[][] => d.map((x, i) => d.map((_, j) => (i === j ? x : 0)));

describe('jacobianProductNorms', () => {
  it('multiplies from the output backwards', () => {
    // ‖J_2 J_1 J_0‖ etc. for J = ½I: [1/8, 1/4, 1/2].
    const J = diag([0.5, 0.5]);
    const r = jacobianProductNorms([J, J, J]);
    expectAllClose(r.norms, [0.125, 0.25, 0.5], 1e-16);
    // Non-commuting, non-square chain: J0 (3×2), J1 (1×3). J1·J0 = [1·1 + 2·0 + 0·1, 1·0 + 2·1 + 0·1] = [1, 2].
    const r2 = jacobianProductNorms(
      [
        [
          [1, 0],
          [0, 1],
          [1, 1],
        ],
        [[1, 2, 0]],
      ],
      { norm: 'frobenius' },
    );
    expectAllClose(r2.norms, [Math.sqrt(5), Math.sqrt(5)], 1e-15);
  });

  it('keeps log10 exact where the norms overflow or underflow', () => {
    const up = diag([3, 1]);
    const down = diag([0.1, 0.05]);
    const r = jacobianProductNorms(Array.from({ length: 800 }, () => up));
    // ‖3^k I‖ = 3^k; 3^800 overflows float64 (log10 = 381.7).
    expectClose(r.log10[0]!, 800 * Math.log10(3), 1e-9);
    expect(r.norms[0]).toBe(Number.POSITIVE_INFINITY);
    expectClose(r.norms[799]!, 3, 1e-15);
    const s = jacobianProductNorms(Array.from({ length: 400 }, () => down));
    expectClose(s.log10[0]!, -400, 1e-9);
  });

  it('rejects chains that do not compose', () => {
    expect(() => jacobianProductNorms([[[1, 2]], [[1, 2]]])).toThrow(
      /jacobianProductNorms: jacobians\[1\] must have 1 columns \(rows of jacobians\[0\]\) so the product chains, got shape \[1, 2\]/,
    );
    expect(() => jacobianProductNorms([])).toThrow(
      /jacobianProductNorms: jacobians must be a non-empty array/,
    );
  });
});

describe('lyapunovSpectrum', () => {
  it('gives ln of the diagonal for a constant diagonal Jacobian', () => {
    const J = diag([2, 1, 0.5]);
    // Without warmup the estimate carries the O(1/T) transient ln|q₁₁|/T of the random start.
    const cold = lyapunovSpectrum(
      Array.from({ length: 50 }, () => J),
      { k: 3 },
    );
    expect(Math.abs(cold.exponents[0]! - Math.log(2))).toBeLessThan(0.1);
    // After 80 warmup steps the start is aligned to (½)^80 ≈ 1e-24: the 50 accumulated steps are exact.
    const r = lyapunovSpectrum(
      Array.from({ length: 130 }, () => J),
      { k: 3, warmup: 80 },
    );
    expect(r.steps).toBe(50);
    expectAllClose(r.exponents, [Math.log(2), 0, Math.log(0.5)], 1e-12);
    expect(r.regime).toBe('chaotic');
    const D = diag([0.5, 0.25]);
    expectClose(
      maxLyapunovExponent((_) => D, { steps: 20, warmup: 100 }),
      Math.log(0.5),
      1e-12,
    );
  });

  it('gives ln s twice for a scaled rotation (complex pair of modulus s)', () => {
    const s = 0.9;
    const t = 1.1;
    const J = [
      [s * Math.cos(t), -s * Math.sin(t)],
      [s * Math.sin(t), s * Math.cos(t)],
    ];
    const r = lyapunovSpectrum((_) => J, { k: 2, steps: 100 });
    expectAllClose(r.exponents, [Math.log(s), Math.log(s)], 1e-12);
    expect(r.regime).toBe('ordered');
  });

  it('orthogonal Jacobians are at the edge of chaos (every exponent 0)', () => {
    const js = Array.from({ length: 30 }, (_, i) => orthogonalMatrix(16, { seed: i }));
    const r = lyapunovSpectrum(js, { k: 4 });
    expectAllClose(r.exponents, [0, 0, 0, 0], 1e-13);
    expect(r.regime).toBe('edge-of-chaos');
  });

  it('Gram–Schmidt and Householder QR agree; exponents match the growth of the product', () => {
    const js = Array.from({ length: 60 }, (_, i) => ({
      rows: 12,
      cols: 12,
      data: Float64Array.from(randomMatrix(12, 12, i).flat(), (x) => x / Math.sqrt(12)),
    }));
    const a = lyapunovSpectrum(js, { k: 5, seed: 1 });
    const b = lyapunovSpectrum(js, { k: 5, seed: 1, qr: 'householder' });
    expectAllClose(a.exponents, b.exponents, 1e-12);
    // The sum of all n exponents is (1/T) Σ ln|det J_t| (volume growth); check with k = n.
    const full = lyapunovSpectrum(js, { k: 12 });
    const logDet = js.map((j) => {
      // ln|det| by the product of singular values is independent of our QR: |det| = Π σ_i.
      return Math.log(Math.abs(det(j.data, 12)));
    });
    expectClose(
      full.exponents.reduce((x, y) => x + y, 0),
      logDet.reduce((x, y) => x + y, 0) / js.length,
      1e-10,
    );
  });

  it('rejects bad input', () => {
    expect(() => lyapunovSpectrum([[[1, 2]]])).toThrow(
      /lyapunovSpectrum: jacobians\[0\] must be square, got shape \[1, 2\]/,
    );
    expect(() => lyapunovSpectrum(() => [[1]])).toThrow(
      /lyapunovSpectrum: options\.steps must be given when jacobians is a function/,
    );
    expect(() =>
      lyapunovSpectrum([
        [[1]],
        [
          [1, 0],
          [0, 1],
        ],
      ]),
    ).toThrow(/lyapunovSpectrum: jacobians\[1\] must have shape \[1, 1\] like jacobians\[0\], got \[2, 2\]/);
    expect(() => lyapunovSpectrum([[[1]]], { k: 2 })).toThrow(
      /lyapunovSpectrum: options\.k must be an integer in \[1, 1\], got 2/,
    );
  });
});

/** Determinant by Gaussian elimination with partial pivoting (a reference independent of QR). */
function det(data: Float64Array, n: number): number {
  const a = Float64Array.from(data);
  let d = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]!) > Math.abs(a[p * n + c]!)) p = r;
    if (p !== c) {
      for (let j = 0; j < n; j++) [a[c * n + j], a[p * n + j]] = [a[p * n + j]!, a[c * n + j]!];
      d = -d;
    }
    const piv = a[c * n + c]!;
    d *= piv;
    for (let r = c + 1; r < n; r++) {
      const f = a[r * n + c]! / piv;
      for (let j = c; j < n; j++) a[r * n + j]! -= f * a[c * n + j]!;
    }
  }
  return d;
}
