import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ActivationName, activation } from './activations.js';
import {
  activationGain,
  heVariance,
  lecunVariance,
  orthogonalMatrix,
  xavierVariance,
} from './initialization.js';
import { expectClose } from './test-utils/helpers.js';

describe('variance rules', () => {
  it('match their formulas', () => {
    expect(xavierVariance(100, 300)).toBe(2 / 400);
    expect(heVariance(512)).toBe(2 / 512);
    expectClose(heVariance(9, 'tanh'), 25 / 81, 1e-16);
    expectClose(heVariance(10, 'leakyRelu'), 2 / (1 + 1e-4) / 10, 1e-16);
    expect(heVariance(4, 'linear')).toBe(0.25);
    expect(lecunVariance(100)).toBe(0.01);
    expect(activationGain('selu')).toBe(0.75);
    expectClose(activationGain('leakyRelu', { alpha: 0.2 }), Math.sqrt(2 / 1.04), 1e-15);
  });

  it('derives the gain 1/√E[φ(z)²] where PyTorch has none', () => {
    // For an activation object the derivation applies; relu gives √2 (E[relu(z)²] = ½).
    expect(activationGain('gelu')).toBeGreaterThan(1);
    expectClose(
      activationGain({
        name: 'relu',
        f: (x) => Math.max(x, 0),
        df: (x) => (x > 0 ? 1 : 0),
        d2f: () => 0,
        kinks: [0],
      }),
      Math.SQRT2,
      1e-14,
    );
  });

  it('follows the documented convention: the PyTorch table for its names, 1/√E[φ(z)²] otherwise (mpmath)', () => {
    const { varianceGains: gains } = JSON.parse(
      readFileSync(new URL('../fixtures/mean-field-edge-fixtures.json', import.meta.url), 'utf8'),
    ) as { varianceGains: Record<string, number> };
    // Names PyTorch tabulates: its values, sigmoid 1 included (not 1.846).
    expect(activationGain('sigmoid')).toBe(1);
    expect(activationGain('linear')).toBe(1);
    expectClose(activationGain('tanh'), 5 / 3, 0, 1e-15);
    // Other names: the variance-preserving gain, to the quadrature's 1e-10.
    for (const name of ['elu', 'gelu', 'silu', 'mish', 'softplus'] as const) {
      expectClose(activationGain(name), gains[name]!, 0, 1e-10);
    }
    expectClose(activationGain('swish'), gains.silu!, 0, 1e-10);
    // Objects always get the variance-preserving gain, the tabulated names' objects too.
    for (const name of ['sigmoid', 'tanh', 'selu'] as ActivationName[]) {
      expectClose(activationGain(activation(name)), gains[name]!, 0, 1e-10);
    }
  });

  it('rejects bad fans', () => {
    expect(() => xavierVariance(0, 3)).toThrow(/xavierVariance: fanIn must be an integer ≥ 1, got 0/);
    expect(() => heVariance(3.5)).toThrow(/heVariance: fanIn must be an integer ≥ 1, got 3\.5/);
  });
});

describe('orthogonalMatrix', () => {
  it('is orthogonal, seeded, and sign-corrected', () => {
    const n = 6;
    const q = orthogonalMatrix(n, { seed: 5, gain: 2 });
    // QᵀQ = gain²·I.
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += q.data[k * n + i]! * q.data[k * n + j]!;
        expectClose(s, i === j ? 4 : 0, 1e-14);
      }
    }
    expect(orthogonalMatrix(n, { seed: 5, gain: 2 }).data).toEqual(q.data);
    expect(orthogonalMatrix(n, { seed: 6 }).data).not.toEqual(orthogonalMatrix(n, { seed: 5 }).data);
  });

  it('is Haar: the mean of the top-left entry is 0 and its variance 1/n', () => {
    // For Haar Q, E[q₁₁] = 0 and E[q₁₁²] = 1/n. Without the sign correction QR of a Gaussian
    // gives q₁₁ = g₁₁/‖g₁‖·sign(r₁₁) biased to one sign (Mezzadri 2007).
    const n = 4;
    const N = 4000;
    let m = 0;
    let v = 0;
    for (let s = 0; s < N; s++) {
      const x = orthogonalMatrix(n, { seed: s }).data[0]!;
      m += x;
      v += x * x;
    }
    // Standard errors: √(1/(nN)) ≈ 0.0079 for the mean; ≈ 0.0035 for the second moment.
    expect(Math.abs(m / N)).toBeLessThan(0.04);
    expectClose(v / N, 1 / n, 0.02);
  });

  it('rejects bad sizes', () => {
    expect(() => orthogonalMatrix(0)).toThrow(
      /orthogonalMatrix: n must be an integer in \[1, 10000\], got 0/,
    );
    expect(() => orthogonalMatrix(3, { gain: 0 })).toThrow(
      /orthogonalMatrix: options\.gain must be > 0, got 0/,
    );
  });
});
