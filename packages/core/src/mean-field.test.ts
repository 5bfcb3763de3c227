import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Activation, type ActivationName, activation } from './activations.js';
import { erf } from './internal/special.js';
import { criticalLine, criticalWeightVariance, initializationAdvice, meanField } from './mean-field.js';
import { expectClose, fixtures } from './test-utils/helpers.js';

/** mpmath references for ξ_q and the large-q edges (fixtures/make-mean-field-edge-fixtures.py). */
// biome-ignore lint/suspicious/noExplicitAny: JSON fixture
const edge: any = JSON.parse(
  readFileSync(new URL('../fixtures/mean-field-edge-fixtures.json', import.meta.url), 'utf8'),
);

const INF = Number.POSITIVE_INFINITY;

/**
 * φ = erf, whose length map is known in closed form (Williams 1997):
 * E[erf(√q z)²] = (2/π) arcsin(2q/(1 + 2q)) = (2/π) atan(2q/√(1 + 4q)), and
 * E[erf′(√q z)²] = (4/π)/√(1 + 4q), so F′(q) = σ_w² (4/π)/((1 + 2q)√(1 + 4q)) = χ₁/(1 + 2q).
 */
const erfActivation: Activation = {
  name: 'erf' as ActivationName,
  f: erf,
  df: (x) => (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x),
  d2f: (x) => (-4 * x * Math.exp(-x * x)) / Math.sqrt(Math.PI),
  kinks: [],
};

/** The closed-form erf fixed point reached from q = 1, by bisection in the test (100 halvings). */
function erfFixedPoint(sw: number, sb: number): number {
  const G = (q: number): number => ((sw * 2) / Math.PI) * Math.atan((2 * q) / Math.sqrt(1 + 4 * q)) + sb - q;
  let lo = 0;
  let hi = sw + sb + 1; // F(q) ≤ σ_w² + σ_b² < hi
  if (G(1) < 0) hi = 1;
  else lo = 1;
  for (let i = 0; i < 200; i++) {
    const mid = 0.5 * (lo + hi);
    if (G(mid) > 0) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

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
      /meanField: options\.weightVariance must be > 0, got 0/,
    );
    expect(() => meanField('tanh', { weightVariance: 1, biasVariance: -1 })).toThrow(
      /meanField: options\.biasVariance must be ≥ 0, got -1/,
    );
    // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong input
    expect(() => meanField('tahn' as any, { weightVariance: 1 })).toThrow(
      /meanField: activation must be one of .*, got "tahn"/,
    );
  });
});

describe('meanField at the edges: q* = ∞ where the length map has no fixed point', () => {
  it('relu: F(q) = σ_w² q/2 + σ_b², so q* = σ_b²/(1 − σ_w²/2) below σ_w² = 2 and ∞ from there', () => {
    const below = meanField('relu', { weightVariance: 1.5, biasVariance: 0.2 });
    expect(below.qStar).toBe(0.2 / (1 - 0.75));
    // F′(q) = σ_w²/2 for every q, so ξ_q = −1/ln(σ_w²/2) (Schoenholz et al. 2017, §3).
    expectClose(below.lengthDepthScale, -1 / Math.log(0.75), 0, 1e-14);
    expect(meanField('relu', { weightVariance: 1.5 }).qStar).toBe(0);
    // σ_w² = 2, σ_b² > 0: F(q) = q + σ_b² > q, so q grows by σ_b² a layer without bound.
    const edge2 = meanField('relu', { weightVariance: 2, biasVariance: 0.05 });
    expect(edge2.qStar).toBe(INF);
    expect(edge2.chi1).toBe(1);
    expect(edge2.phase).toBe('critical');
    expect(edge2.gradientDepthScale).toBe(INF);
    expect(edge2.lengthDepthScale).toBe(INF); // linear, not exponential, growth
    expect(edge2.cStar).toBe(1);
    expect(edge2.correlationDepthScale).toBe(INF);
    // σ_w² = 2, σ_b² = 0: every q is a fixed point; the one reached is q0.
    const he = meanField('relu', { weightVariance: 2, q0: 3.7 });
    expect(he.qStar).toBe(3.7);
    expect(he.lengthDepthScale).toBe(INF);
    // σ_w² > 2: F(q) − q = (σ_w²/2 − 1)q + σ_b² > 0; q grows as (σ_w²/2)^l, ξ_q = −1/ln(σ_w²/2) < 0.
    for (const sb of [0, 0.1]) {
      const r = meanField('relu', { weightVariance: 3, biasVariance: sb });
      expect(r.qStar).toBe(INF);
      expect(r.chi1).toBe(1.5);
      expect(r.phase).toBe('chaotic');
      expectClose(r.gradientDepthScale, -1 / Math.log(1.5), 0, 1e-14);
      expectClose(r.lengthDepthScale, -1 / Math.log(1.5), 0, 1e-14);
      // The correlation map tends to the arccos kernel C(c) = (√(1 − c²) + (π − arccos c)c)/π,
      // with C(c) > c below 1 and C′(1) = 1: c* = 1 exactly, ξ_c = ∞.
      expect(r.cStar).toBe(1);
      expect(r.correlationDepthScale).toBe(INF);
    }
  });

  it('leakyRelu and linear: F(q) = σ_w²(1 + α²)q/2 + σ_b² (α = 1 for linear)', () => {
    const leaky = activation('leakyRelu', { alpha: 0.5 });
    // s = 1.2·1.25/2 = 0.75: q* = 0.1/0.25.
    expectClose(meanField(leaky, { weightVariance: 1.2, biasVariance: 0.1 }).qStar, 0.4, 0, 1e-15);
    const l2 = meanField(leaky, { weightVariance: 2, biasVariance: 0.1 });
    expect(l2.qStar).toBe(INF);
    expect(l2.chi1).toBe(1.25);
    expect(l2.cStar).toBe(1);
    expectClose(meanField('linear', { weightVariance: 0.5, biasVariance: 0.1 }).qStar, 0.2, 0, 1e-15);
    // σ_w² = 1, σ_b² > 0: q^l = q0 + l·σ_b².
    const crit = meanField('linear', { weightVariance: 1, biasVariance: 0.1 });
    expect(crit.qStar).toBe(INF);
    expect(crit.chi1).toBe(1);
    expect(crit.lengthDepthScale).toBe(INF);
    // σ_w² > 1: every correlation is a fixed point of the limiting (identity) map; 1 is reported.
    const chaos = meanField('linear', { weightVariance: 1.5, biasVariance: 0.1 });
    expect(chaos.qStar).toBe(INF);
    expect(chaos.chi1).toBe(1.5);
    expect(chaos.cStar).toBe(1);
    expect(chaos.correlationDepthScale).toBe(INF);
  });

  it('elu, selu and softplus have no fixed point at or beyond s∞ = σ_w²(a₊² + a₋²)/2 = 1', () => {
    // elu at σ_w² = 2: F(q) − q = 2E[elu(√q z)²; z < 0] + σ_b² > 0 for every q, and χ₁ → σ_w²/2 = 1.
    for (const sb of [0, 0.1]) {
      const r = meanField('elu', { weightVariance: 2, biasVariance: sb });
      expect(r.qStar).toBe(INF);
      expect(r.chi1).toBe(1);
      expect(r.phase).toBe('critical');
      expect(r.gradientDepthScale).toBe(INF);
      expect(r.correlationDepthScale).toBe(INF);
    }
    // selu at σ_w² = 2: s∞ = σ_w² λ²/2 = λ² > 1 (λ = 1.0507009873554805).
    const lambda = 1.0507009873554805;
    const s = meanField('selu', { weightVariance: 2 });
    expect(s.qStar).toBe(INF);
    expectClose(s.chi1, lambda * lambda, 0, 1e-15);
    expectClose(s.lengthDepthScale, -1 / Math.log(lambda * lambda), 0, 1e-13);
    expect(s.cStar).toBe(1);
    // softplus > relu ≥ 0, so at σ_w² ≥ 2: F(q) > σ_w² E[relu(√q z)²] ≥ q for every q, and χ₁ = σ_w²/2.
    const sp = meanField('softplus', { weightVariance: 2 });
    expect(sp.qStar).toBe(INF);
    expect(sp.chi1).toBe(1);
    // For σ_w² < 2: χ₁ = σ_w² E[sigmoid(√q* z)²] < σ_w²/2 < 1 (sigmoid(x)² + sigmoid(−x)² < 1), so
    // the critical weight variance is exactly 2, where q* becomes ∞, and χ₁ = 1.1 at σ_w² = 2.2.
    expect(meanField('softplus', { weightVariance: 1.99 }).chi1).toBeLessThan(0.995);
    expectClose(criticalWeightVariance('softplus', 0), 2, 0, 1e-13);
    expectClose(initializationAdvice('softplus', 10).weightVarianceRange[1], 2.2, 0, 1e-13);
  });

  it('gelu at σ_w² = 2, σ_b² = 0.5: the deficit 2E[relu² − gelu²] stays below σ_b² (mpmath), so q* = ∞', () => {
    const g = edge.geluNoFixedPoint;
    expect(g.maxDeficit).toBeLessThan(g.biasVariance);
    const r = meanField('gelu', { weightVariance: g.weightVariance, biasVariance: g.biasVariance });
    expect(r.qStar).toBe(INF);
    expect(r.chi1).toBe(1);
    // With σ_b² = 0.05 the deficit wins at q = 1 and the fixed point is finite (fixture below).
    expect(Number.isFinite(meanField('gelu', { weightVariance: 2, biasVariance: 0.05 }).qStar)).toBe(true);
  });

  it('bounded φ always has a finite fixed point: erf against its closed-form length map', () => {
    for (const [sw, sb] of [
      [1, 0.3],
      [3, 0.1],
      [1e6, 0],
    ] as const) {
      const q = erfFixedPoint(sw, sb);
      const chi1 = (sw * 4) / Math.PI / Math.sqrt(1 + 4 * q);
      const r = meanField(erfActivation, { weightVariance: sw, biasVariance: sb });
      expectClose(r.qStar, q, 0, 1e-12);
      expectClose(r.chi1, chi1, 0, 1e-12);
      expectClose(r.lengthDepthScale, -1 / Math.log(chi1 / (1 + 2 * q)), 0, 1e-11);
    }
    // σ_w² = π/4, σ_b² = 0: χ₁(0) = σ_w² erf′(0)² = 1 and F(q) < q, so q* = 0 at the critical
    // point, where F′(0) = 1 too: ξ_q = ξ_∇ = ∞.
    // (Below q ≈ 1e-16 the sign of F(q) − q ≈ −q²·const is rounding, so q* is 0 to within 1e-12.)
    const c = meanField(erfActivation, { weightVariance: Math.PI / 4 });
    expectClose(c.qStar, 0, 1e-12);
    expect(c.lengthDepthScale).toBe(INF);
    // tanh likewise: E[tanh²] < 1 bounds q* by σ_w² + σ_b², even at σ_w² = 1e6.
    const t = meanField('tanh', { weightVariance: 1e6, biasVariance: 0.5 });
    expect(t.qStar).toBeLessThan(1e6 + 0.5);
    expect(t.qStar).toBeGreaterThan(0.99e6);
  });

  it('ξ_q and large finite q* agree with mpmath (F′ by numerical differentiation), to 1e-9', () => {
    for (const p of edge.points) {
      const r = meanField(p.activation, { weightVariance: p.weightVariance, biasVariance: p.biasVariance });
      expectClose(r.qStar, p.qStar, 1e-12, 1e-10);
      expectClose(r.chi1, p.chi1, 1e-12, 1e-10);
      // ξ_q = −1/ln F′ amplifies F′'s error by 1/|ln F′| (2e6 for the near-edge points, where
      // F′ = 1 − 5e-7); F′ itself is accurate to ~1e-15.
      expectClose(
        r.lengthDepthScale,
        p.lengthDepthScale,
        0,
        1e-9 * Math.max(1, Math.abs(p.lengthDepthScale)),
      );
    }
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
    // With a bias, σ_w² > 2 has q* = ∞; χ₁ there is exactly σ_w²/2.
    const b = initializationAdvice('relu', 10, { biasVariance: 0.05 });
    expect(b.weightVariance).toBe(2);
    expectClose(b.weightVarianceRange[1], 2.2, 0, 1e-15);
    expect(() => initializationAdvice('relu', 0)).toThrow(
      /initializationAdvice: depth must be an integer ≥ 1, got 0/,
    );
  });
});
