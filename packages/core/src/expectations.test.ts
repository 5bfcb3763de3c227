import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { activation, activationNames } from './activations.js';
import { expectedDerivative, expectedSquaredDerivative, normal, samples, uniform } from './expectations.js';
import { integrate } from './internal/adaptive-quadrature.js';
import { expectClose, fixtures } from './test-utils/helpers.js';

describe('expectedDerivative / expectedSquaredDerivative', () => {
  it('match closed forms', () => {
    // relu′(z)² = 1[z > 0], so E = P(Z > 0) = 1/2.
    expect(expectedSquaredDerivative('relu', normal(0, 1))).toBeCloseTo(0.5, 15);
    // E[relu′(X)] = P(X > 0) = Φ(μ/σ): Φ(0.15) for N(0.3, 2²) = 0.5596176923702425 (scipy ndtr).
    expectClose(expectedDerivative('relu', normal(0.3, 2)), 0.5596176923702425, 1e-14);
    // linear: 1; leakyRelu: (1 + α)/2 and (1 + α²)/2 under N(0, 1).
    expectClose(expectedDerivative('linear', normal(2, 3)), 1, 1e-14);
    expectClose(expectedDerivative('leakyRelu', normal(0, 1)), 0.505, 1e-14);
    expectClose(expectedSquaredDerivative('leakyRelu', normal(0, 5)), 0.50005, 1e-14);
    // tanh′ averaged over U(a, b) is (tanh b − tanh a)/(b − a).
    expectClose(expectedDerivative('tanh', uniform(-1, 2)), (Math.tanh(2) - Math.tanh(-1)) / 3, 1e-14);
    // σ = 0 is a point mass.
    expect(expectedDerivative('tanh', normal(0.5, 0))).toBe(activation('tanh').df(0.5));
    // samples: relu′ at [−1, 2, 3, −4] is [0, 1, 1, 0].
    expect(expectedDerivative('relu', samples([-1, 2, 3, -4]))).toBe(0.5);
    expect(expectedSquaredDerivative('tanh', samples(Float64Array.of(0)))).toBe(1);
    expect(expectedDerivative('relu', samples(Float32Array.of(1, -1)))).toBe(0.5);
    // relu′ over U(−1, 3): P(X > 0) = 3/4 (the kink at 0 is split exactly).
    expectClose(expectedDerivative('relu', uniform(-1, 3)), 0.75, 1e-15);
    // elu′ = eˣ on x < 0: E over U(−2, 0) = (1 − e^{−2})/2.
    expectClose(expectedDerivative('elu', uniform(-2, 0)), (1 - Math.exp(-2)) / 2, 1e-14);
  });

  it('resolve unit-scale features of an activation under very wide laws', () => {
    // tanh′ = sech² is concentrated on |x| ≲ 20, where N(0, σ²)'s density is 1/(σ√(2π)) for
    // σ = 1e12: E[sech²] = 2/(σ√(2π)) and E[sech⁴] = (4/3)/(σ√(2π)) (∫sech² = 2, ∫sech⁴ = 4/3).
    const s = 1e12;
    expectClose(expectedDerivative('tanh', normal(0, s)), 2 / (s * Math.sqrt(2 * Math.PI)), 0, 1e-12);
    expectClose(
      expectedSquaredDerivative('tanh', normal(0, s)),
      4 / 3 / (s * Math.sqrt(2 * Math.PI)),
      0,
      1e-12,
    );
    // Uniform: (tanh b − tanh a)/(b − a) = 2/(2e15).
    expectClose(expectedDerivative('tanh', uniform(-1e15, 1e15)), 1e-15, 0, 1e-12);
  });

  it('agree with scipy.integrate.quad to 1e-10', () => {
    for (const e of fixtures.expectations) {
      const dist = e.dist === 'normal' ? normal(e.a, e.b) : uniform(e.a, e.b);
      expectClose(expectedDerivative(e.activation, dist), e.ed, 1e-10, 1e-10);
      expectClose(expectedSquaredDerivative(e.activation, dist), e.ed2, 1e-10, 1e-10);
    }
  });

  it('agree with adaptive Gauss–Kronrod integration to 1e-10 (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...activationNames),
        fc.double({ min: -3, max: 3, noNaN: true }),
        fc.double({ min: 0.05, max: 6, noNaN: true }),
        (name, mu, sd) => {
          const a = activation(name);
          const pdf = (x: number): number =>
            Math.exp(-0.5 * ((x - mu) / sd) ** 2) / (sd * Math.sqrt(2 * Math.PI));
          const ref = integrate((x) => a.df(x) ** 2 * pdf(x), -Infinity, Infinity, {
            breakpoints: [...a.kinks, mu],
          });
          expectClose(expectedSquaredDerivative(name, normal(mu, sd)), ref.value, 1e-10, 1e-10);
        },
      ),
      { seed: 7, numRuns: 60 },
    );
  });

  it('rejects bad distributions', () => {
    expect(() => normal(0, -1)).toThrow(/normal: std must be ≥ 0, got -1/);
    expect(() => uniform(2, 1)).toThrow(/uniform: high must be ≥ low = 2, got 1/);
    expect(() => samples([])).toThrow(/samples: values must be a non-empty array of numbers/);
    expect(() => samples([1, Number.NaN])).toThrow(
      /samples: values must have finite entries, got NaN at index 1/,
    );
    // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong input
    expect(() => expectedDerivative('tanh', { kind: 'cauchy' } as any)).toThrow(
      /expectedDerivative: dist must be normal\(μ, σ\), uniform\(a, b\) or samples\(xs\), got kind "cauchy"/,
    );
    // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong input
    expect(() => expectedDerivative('tanhh' as any, normal())).toThrow(
      /expectedDerivative: activation must be one of/,
    );
  });
});
