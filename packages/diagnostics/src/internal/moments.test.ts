import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CentralSums, describeSums, mergeSums } from './moments.js';

/** Central sums by the two-pass definition (independent of the merge formulas). */
function direct(xs: readonly number[]): CentralSums {
  const n = xs.length;
  const mean = n === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / n;
  const c = (p: number) => xs.reduce((a, x) => a + (x - mean) ** p, 0);
  return { n, mean, m2: c(2), m3: c(3), m4: c(4) };
}

const near = (a: number, b: number, scale: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, scale);

describe('mergeSums (Pébay 2008)', () => {
  it('merging the sums of two parts equals the sums of the whole (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 40 }),
        (a, b) => {
          const m = mergeSums(direct(a), direct(b));
          const w = direct([...a, ...b]);
          return (
            m.n === w.n &&
            near(m.mean, w.mean, 100) &&
            near(m.m2, w.m2, w.m2 + 1e4) &&
            near(m.m3, w.m3, Math.abs(w.m3) + 1e6) &&
            near(m.m4, w.m4, w.m4 + 1e8)
          );
        },
      ),
      { seed: 7, numRuns: 200 },
    );
  });

  it('describes a two-point distribution exactly', () => {
    // {0, 2}: mean 1, variance 1, skewness 0, excess kurtosis 1 − 3 = −2.
    expect(describeSums(direct([0, 2]))).toEqual({ mean: 1, variance: 1, skewness: 0, kurtosis: -2 });
    expect(mergeSums(direct([]), direct([5]))).toEqual(direct([5]));
    expect(Number.isNaN(describeSums(direct([])).mean)).toBe(true);
  });
});
