import { describe, expect, it } from 'vitest';
import { criticalLine, criticalWeightVariance, initializationAdvice, meanField } from './mean-field.js';
import { expectClose, fixtures } from './test-utils/helpers.js';

describe('meanField', () => {
  it('tanh without bias is critical at σ_w² = 1', () => {
    // q* = 0 (tanh(0) = 0, and q ↦ E[tanh²(√q z)] < q), so χ₁ = σ_w² tanh′(0)² = 1.
    const r = meanField('tanh', { weightVariance: 1, biasVariance: 0 });
    expect(r.phase).toBe('critical');
    expectClose(r.qStar, 0, 1e-12);
    expectClose(r.chi1, 1, 1e-12);
    expect(r.gradientDepthScale).toBe(Number.POSITIVE_INFINITY);
    expect(r.correlationDepthScale).toBe(Number.POSITIVE_INFINITY);
    // Below: ordered with χ₁ = σ_w² exactly (q* = 0); ξ_∇ = −1/ln 0.9.
    const o = meanField('tanh', { weightVariance: 0.9 });
    expect(o.phase).toBe('ordered');
    expectClose(o.chi1, 0.9, 1e-14);
    expectClose(o.gradientDepthScale, -1 / Math.log(0.9), 1e-10);
    // Above: chaotic; odd φ without bias has c* = 0.
    const c = meanField('tanh', { weightVariance: 2 });
    expect(c.phase).toBe('chaotic');
    expect(c.cStar).toBeLessThan(1e-6);
    expect(c.gradientDepthScale).toBeLessThan(0);
  });

  it('relu: χ₁ = σ_w²/2 and q* = σ_b²/(1 − σ_w²/2) (He et al. 2015)', () => {
    // E[relu(√q z)²] = q/2 and E[relu′²] = 1/2, so q* = σ_w² q*/2 + σ_b².
    const r = meanField('relu', { weightVariance: 1.5, biasVariance: 0.2 });
    expectClose(r.chi1, 0.75, 1e-13);
    expectClose(r.qStar, 0.2 / (1 - 0.75), 1e-12);
    expect(r.phase).toBe('ordered');
    const he = meanField('relu', { weightVariance: 2 });
    expectClose(he.chi1, 1, 1e-13);
    expect(he.phase).toBe('critical');
    const ex = meanField('relu', { weightVariance: 3, biasVariance: 0.1 });
    expect(ex.qStar).toBe(Number.POSITIVE_INFINITY);
    expectClose(ex.chi1, 1.5, 1e-12);
    expect(ex.phase).toBe('chaotic');
  });

  it('agrees with scipy (quad + brentq) on q* and χ₁ to 1e-10', () => {
    for (const p of fixtures.meanField.points) {
      const r = meanField(p.activation, { weightVariance: p.weightVariance, biasVariance: p.biasVariance });
      expectClose(r.qStar, p.qStar, 1e-10, 1e-10);
      expectClose(r.chi1, p.chi1, 1e-10, 1e-10);
      expectClose(r.gradientDepthScale, -1 / Math.log(p.chi1), 1e-8, 1e-8);
    }
  });

  it('agrees with scipy on the correlation fixed point c* and χ_c (Schoenholz et al. 2017, eq. 9)', () => {
    const f = fixtures.correlation;
    const r = meanField(f.activation, { weightVariance: f.weightVariance, biasVariance: f.biasVariance });
    expect(r.phase).toBe('chaotic');
    // The nested 2-D rule is accurate to ≈ 1e-9; ξ_c = −1/ln χ_c amplifies near χ_c = 1.
    expectClose(r.cStar, f.cStar, 1e-8);
    expectClose(r.correlationDepthScale, -1 / Math.log(f.chiC), 0, 1e-5);
  });

  it('rejects bad input', () => {
    expect(() => meanField('tanh', { weightVariance: 0 })).toThrow(
      /meanField: opts\.weightVariance must be > 0, got 0/,
    );
    expect(() => meanField('tanh', { weightVariance: 1, biasVariance: -1 })).toThrow(
      /meanField: opts\.biasVariance must be ≥ 0, got -1/,
    );
    // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong input
    expect(() => meanField('tahn' as any, { weightVariance: 1 })).toThrow(
      /meanField: activation must be one of .*, got "tahn"/,
    );
  });
});

describe('criticalWeightVariance, criticalLine, initializationAdvice', () => {
  it('relu: 2 for every bias variance; tanh: 1 without bias', () => {
    expectClose(criticalWeightVariance('relu', 0), 2, 1e-12);
    expectClose(criticalWeightVariance('relu', 0.3), 2, 1e-12);
    // χ₁ − 1 vanishes to second order just above σ_w² = 1 for tanh without bias, so the root is
    // only determined to ≈ √ε.
    expectClose(criticalWeightVariance('tanh', 0), 1, 1e-6);
  });

  it('agrees with scipy on the tanh and elu critical lines', () => {
    for (const c of fixtures.meanField.critical) {
      expectClose(criticalWeightVariance(c.activation, c.biasVariance), c.weightVariance, 1e-9, 1e-9);
    }
    const line = criticalLine('tanh', [0.01, 0.05, 0.1]);
    expect(line.map((p) => p.biasVariance)).toEqual([0.01, 0.05, 0.1]);
    for (const [i, p] of line.entries()) {
      expectClose(p.weightVariance, fixtures.meanField.critical[i].weightVariance, 1e-9, 1e-9);
    }
  });

  it('initializationAdvice keeps χ₁ within 1 ± 1/depth (relu: σ_w² = 2(1 ± 1/L))', () => {
    const a = initializationAdvice('relu', 50, { fanIn: 256 });
    expectClose(a.weightVariance, 2, 1e-12);
    expectClose(a.weightVarianceRange[0], 2 * (1 - 1 / 50), 1e-12);
    expectClose(a.weightVarianceRange[1], 2 * (1 + 1 / 50), 1e-12);
    expectClose(a.weightStd!, Math.sqrt(2 / 256), 1e-15);
    const t = initializationAdvice('tanh', 20, { biasVariance: 0.05 });
    expect(t.weightVarianceRange[0]).toBeLessThan(t.weightVariance);
    expect(t.weightVarianceRange[1]).toBeGreaterThan(t.weightVariance);
    const lo = meanField('tanh', { weightVariance: t.weightVarianceRange[0], biasVariance: 0.05 });
    expectClose(lo.chi1, 1 - 1 / 20, 1e-10);
    expect(() => initializationAdvice('relu', 0)).toThrow(
      /initializationAdvice: depth must be an integer ≥ 1, got 0/,
    );
  });
});
