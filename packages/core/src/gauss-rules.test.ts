import { describe, expect, it } from 'vitest';
import { gaussHermiteRule, gaussLegendreRule } from './gauss-rules.js';
import { erf, erfc } from './internal/special.js';
import { expectAllClose, expectClose, fixtures } from './test-utils/helpers.js';

describe('Gauss rules', () => {
  it('agree with numpy leggauss / hermegauss to 1e-13', () => {
    for (const n of [5, 20, 64]) {
      const f = fixtures.gaussRules[String(n)];
      const gl = gaussLegendreRule(n);
      const gh = gaussHermiteRule(n);
      expectAllClose(gl.nodes, f.legendreNodes, 1e-13);
      expectAllClose(gl.weights, f.legendreWeights, 1e-14);
      expectAllClose(gh.nodes, f.hermiteNodes, 1e-12, 1e-13);
      expectAllClose(gh.weights, f.hermiteWeights, 1e-15, 1e-11);
    }
  });

  it('integrate polynomials exactly up to degree 2n − 1', () => {
    // E[Z^{2m}] = (2m − 1)!! for Z ~ N(0, 1); ∫₋₁¹ x^{2m} dx = 2/(2m + 1).
    const n = 12;
    const gh = gaussHermiteRule(n);
    const gl = gaussLegendreRule(n);
    let dfact = 1;
    for (let m = 0; 2 * m <= 2 * n - 1; m++) {
      if (m > 0) dfact *= 2 * m - 1;
      let sh = 0;
      let sl = 0;
      for (let i = 0; i < n; i++) {
        sh += gh.weights[i]! * gh.nodes[i]! ** (2 * m);
        sl += gl.weights[i]! * gl.nodes[i]! ** (2 * m);
      }
      expectClose(sh, dfact, 0, 1e-12);
      expectClose(sl, 2 / (2 * m + 1), 1e-14);
    }
  });

  it('stay exact for large n, where Hermite falls back to Golub–Welsch', () => {
    // E[Z^{2m}] = (2m − 1)!!, relative accuracy; ∫₋₁¹ x^{2m} dx = 2/(2m + 1).
    for (const n of [150, 200]) {
      const gh = gaussHermiteRule(n);
      const gl = gaussLegendreRule(n);
      for (let i = 1; i < n; i++) {
        expect(gh.nodes[i]!).toBeGreaterThan(gh.nodes[i - 1]!);
        expect(gl.nodes[i]!).toBeGreaterThan(gl.nodes[i - 1]!);
      }
      let dfact = 1;
      for (let m = 0; m <= 20; m++) {
        if (m > 0) dfact *= 2 * m - 1;
        let sh = 0;
        let sl = 0;
        for (let i = 0; i < n; i++) {
          sh += gh.weights[i]! * gh.nodes[i]! ** (2 * m);
          sl += gl.weights[i]! * gl.nodes[i]! ** (2 * m);
        }
        expectClose(sh, dfact, 0, 1e-11);
        expectClose(sl, 2 / (2 * m + 1), 1e-13);
      }
    }
  });

  it('rejects bad sizes', () => {
    expect(() => gaussHermiteRule(0)).toThrow(/gaussHermiteRule: n must be an integer in \[1, 400\], got 0/);
    expect(() => gaussLegendreRule(2.5)).toThrow(
      /gaussLegendreRule: n must be an integer in \[1, 400\], got 2\.5/,
    );
  });
});

describe('erf (internal)', () => {
  it('matches reference values', () => {
    // scipy.special 1.10 values; the tolerance is a few ulps.
    expectClose(erf(0.5), 0.5204998778130465, 0, 1e-15);
    expectClose(erf(1), 0.8427007929497148, 0, 1e-15);
    expectClose(erf(2.5), 0.999593047982555, 0, 1e-15);
    expectClose(erf(2.99), 0.9999764743969194, 0, 1e-15);
    expectClose(erfc(2.9), 4.109787809945884e-5, 0, 1e-13);
    expectClose(erfc(3), 2.2090496998585445e-5, 0, 1e-14);
    expectClose(erfc(5), 1.5374597944280347e-12, 0, 1e-14);
    expectClose(erfc(-1), 1.8427007929497148, 0, 1e-15);
    expect(erf(-1)).toBe(-erf(1));
  });
});
