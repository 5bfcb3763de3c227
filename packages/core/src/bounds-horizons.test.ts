import { describe, expect, it } from 'vitest';
import { attenuation, clippedStep, plainUpperBound, residualLowerBound } from './bounds.js';
import { effectiveHorizon, instabilityHorizon, memorySpan } from './horizons.js';
import { expectAllClose, expectClose } from './test-utils/helpers.js';

describe('bounds', () => {
  it('0.25^1000 does not silently become 0', () => {
    const a = attenuation(0.25, 1000);
    // log10(0.25^1000) = 1000·log10(1/4) = −602.0599913279624; 10^0.94000867 = 8.7098.
    expectClose(a.log10, -602.0599913279624, 1e-10);
    expect(a.value).toBe(0);
    expect(a.exponent).toBe(-603);
    expectClose(a.mantissa, 8.709809816217, 1e-9);
    expect(attenuation(0, 5)).toEqual({
      value: 0,
      log10: Number.NEGATIVE_INFINITY,
      mantissa: 0,
      exponent: 0,
    });
    expect(attenuation(3, 0).value).toBe(1);
  });

  it('plain and residual bounds', () => {
    expectClose(plainUpperBound(0.9, 100).value, 0.9 ** 100, 0, 1e-13);
    expectClose(plainUpperBound(1.1, 10_000).log10, 10_000 * Math.log10(1.1), 1e-9);
    expectClose(residualLowerBound(0.01, 100).value, 0.99 ** 100, 0, 1e-13);
    expect(() => residualLowerBound(1, 10)).toThrow(
      /residualLowerBound: M must be < 1 \(with ‖B‖ ≥ 1 .*\), got 1/,
    );
    expect(() => plainUpperBound(2, -1)).toThrow(/plainUpperBound: depth must be ≥ 0, got -1/);
    expect(() => attenuation(Number.NaN, 3)).toThrow(
      /attenuation: factorPerLayer must be a finite number, got NaN/,
    );
  });

  it('clippedStep scales by min(1, c/‖g‖) and keeps the kind', () => {
    expectAllClose(clippedStep([3, 4], 1), [0.6, 0.8], 2e-16);
    expect(clippedStep([0.3, 0.4], 1)).toEqual([0.3, 0.4]);
    const t = clippedStep(Float32Array.of(6, 8), 5);
    expect(t).toBeInstanceOf(Float64Array);
    expectAllClose(t, [3, 4], 1e-15);
    expect(() => clippedStep([1], 0)).toThrow(/clippedStep: c must be > 0, got 0/);
    expect(() => clippedStep([1, Number.POSITIVE_INFINITY], 1)).toThrow(
      /clippedStep: g must have finite entries, got Infinity at index 1/,
    );
  });
});

describe('horizons', () => {
  it('effectiveHorizon = ln ε / ln ρ and memorySpan = −1/ln ρ', () => {
    expectClose(effectiveHorizon(0.5, 0.25), 2, 1e-15);
    expectClose(effectiveHorizon(0.9, 1e-3), Math.log(1e-3) / Math.log(0.9), 1e-12);
    expect(effectiveHorizon(1, 0.1)).toBe(Number.POSITIVE_INFINITY);
    expectClose(memorySpan(Math.exp(-0.1)), 10, 1e-12);
    expect(memorySpan(1.2)).toBe(Number.POSITIVE_INFINITY);
  });

  it('instabilityHorizon counts steps to float32 overflow', () => {
    // 2^127 ≈ 1.70e38 ≤ 3.40e38 < 2^128 ≈ 3.40282366920938e38: overflow at step 128.
    expect(instabilityHorizon(2, 1)).toBe(128);
    // 10^38 ≤ 3.4e38 < 10^39: step 39; from norm 100: step 37.
    expect(instabilityHorizon(10, 1)).toBe(39);
    expect(instabilityHorizon(10, 100)).toBe(37);
    expect(instabilityHorizon(0.9, 1)).toBe(Number.POSITIVE_INFINITY);
    expect(instabilityHorizon(2, 1, 1000)).toBe(10); // 2^10 = 1024 > 1000 ≥ 512
  });

  it('rejects ρ ≤ 0 and ε outside (0, 1)', () => {
    expect(() => memorySpan(0)).toThrow(/memorySpan: rho must be > 0, got 0/);
    expect(() => effectiveHorizon(-0.5, 0.1)).toThrow(/effectiveHorizon: rho must be > 0, got -0\.5/);
    expect(() => effectiveHorizon(0.5, 1)).toThrow(/effectiveHorizon: eps must be in \(0, 1\), got 1/);
    expect(() => instabilityHorizon(2, 0)).toThrow(/instabilityHorizon: initialNorm must be > 0, got 0/);
  });
});
