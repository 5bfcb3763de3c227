import { describe, expect, it } from 'vitest';
import { effectivePathContribution, pathCounts, pathFraction, pathLengthDistribution } from './paths.js';
import { expectClose, fixtures } from './test-utils/helpers.js';

describe('pathCounts', () => {
  it('C(10, 5) = 252 of 1,024 paths', () => {
    const c = pathCounts(10);
    expect(c).toEqual([1n, 10n, 45n, 120n, 210n, 252n, 210n, 120n, 45n, 10n, 1n]);
    expect(c.reduce((a, b) => a + b, 0n)).toBe(1024n);
    expect(pathCounts(0)).toEqual([1n]);
  });

  it('is exact at L = 10,000: the row sums to 2^L and is symmetric', () => {
    const c = pathCounts(10_000);
    expect(c.length).toBe(10_001);
    expect(c.reduce((a, b) => a + b, 0n)).toBe(1n << 10_000n);
    expect(c[1]).toBe(10_000n);
    expect(c[2]).toBe(49_995_000n); // 10000·9999/2
    expect(c[3000]).toBe(c[7000]);
    // C(L, k) = C(L−1, k−1) + C(L−1, k) (Pascal) at a deep entry.
    const p = pathCounts(9_999);
    expect(c[5000]).toBe(p[4999]! + p[5000]!);
  });

  it('rejects negative or fractional L', () => {
    expect(() => pathCounts(-1)).toThrow(/pathCounts: blocks must be an integer in \[0, 100000\], got -1/);
    expect(() => pathCounts(2.5)).toThrow(/pathCounts: blocks must be an integer in \[0, 100000\], got 2\.5/);
  });
});

describe('pathLengthDistribution and pathFraction', () => {
  it('252/1024 of paths through 10 blocks have length 5', () => {
    expectClose(pathLengthDistribution(10).probabilities[5]!, 252 / 1024, 1e-15);
    expectClose(pathFraction(10, 5, 5), 252 / 1024, 1e-15);
    expect(pathFraction(10, 0, 10)).toBe(1);
    expect(pathFraction(10, 7, 3)).toBe(0);
  });

  it('agrees with scipy.stats.binom (fractions and log-pmf, L up to 10,000)', () => {
    for (const f of fixtures.paths.fractions)
      expectClose(pathFraction(f.L, f.kMin, f.kMax), f.fraction, 1e-12, 1e-9);
    for (const f of fixtures.paths.logpmf) {
      expectClose(pathLengthDistribution(f.L, f.p).logProbabilities[f.k]!, f.logpmf, 1e-9, 1e-12);
    }
  });

  it('does not underflow at L = 10,000: every log-probability is finite and they sum to 1', () => {
    const d = pathLengthDistribution(10_000);
    expect(d.logProbabilities.every(Number.isFinite)).toBe(true);
    // P(K = 0) = 2^−10000: log = −10000 ln 2.
    expectClose(d.logProbabilities[0]!, -10_000 * Math.LN2, 1e-9);
    const m = Math.max(...d.logProbabilities);
    const lse = m + Math.log(d.logProbabilities.reduce((s, x) => s + Math.exp(x - m), 0));
    expectClose(lse, 0, 1e-10);
    expect(d.mean).toBe(5000);
    expect(d.std).toBe(50);
  });

  it('handles p = 0 and p = 1 without NaN', () => {
    const d0 = pathLengthDistribution(5, 0);
    expect(d0.probabilities).toEqual([1, 0, 0, 0, 0, 0]);
    const d1 = pathLengthDistribution(5, 1);
    expect(d1.probabilities[5]).toBe(1);
    expect(() => pathLengthDistribution(5, 1.5)).toThrow(
      /pathLengthDistribution: p must be a probability in \[0, 1\], got 1\.5/,
    );
  });
});

describe('effectivePathContribution', () => {
  it('with gain 1 every path counts equally (the path-length distribution)', () => {
    const r = effectivePathContribution(10, 1);
    expectClose(r.share[5]!, 252 / 1024, 1e-15);
    expectClose(r.logTotal, 10 * Math.LN2, 1e-15);
    expect(r.mode).toBe(5);
  });

  it('with a small gain, short paths carry the gradient (Veit et al. 2016)', () => {
    const L = 54;
    const g = 0.1;
    const r = effectivePathContribution(L, g, { share: 0.9 });
    // share[k] = C(L, k) g^k / (1 + g)^L: Binomial(L, g/(1 + g)), mean L·g/(1 + g).
    expectClose(r.meanLength, (L * g) / (1 + g), 1e-14);
    expectClose(r.share[1]!, (L * g) / (1 + g) ** L, 1e-15);
    expectClose(
      r.share.reduce((a, b) => a + b, 0),
      1,
      1e-12,
    );
    expect(r.range.share).toBeGreaterThanOrEqual(0.9);
    // The shortest window: dropping either end must fall below 90%.
    const sum = (lo: number, hi: number) => r.share.slice(lo, hi + 1).reduce((a, b) => a + b, 0);
    expect(sum(r.range.kMin + 1, r.range.kMax)).toBeLessThan(0.9);
    expect(sum(r.range.kMin, r.range.kMax - 1)).toBeLessThan(0.9);
    expect(r.range.kMax).toBeLessThan(15);
    // Zero gain: only the all-skip path.
    expect(effectivePathContribution(5, 0).range).toEqual({ kMin: 0, kMax: 0, share: 1 });
  });

  it('works at L = 10,000 without underflow', () => {
    const r = effectivePathContribution(10_000, 0.05);
    expect(r.logContribution.every((x) => !Number.isNaN(x))).toBe(true);
    expect(r.range.share).toBeGreaterThanOrEqual(0.9);
    expect(() => effectivePathContribution(10, -1)).toThrow(
      /effectivePathContribution: gainPerBlock must be ≥ 0, got -1/,
    );
    expect(() => effectivePathContribution(10, 1, { share: 0 })).toThrow(
      /effectivePathContribution: options\.share must be in \(0, 1\], got 0/,
    );
  });
});
