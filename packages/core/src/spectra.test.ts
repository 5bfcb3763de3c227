import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eigenvalues, spectralRadius } from './eigenvalues.js';
import { orthogonalMatrix } from './initialization.js';
import { conditionNumber, nuclearNorm, singularValues } from './singular-values.js';
import { frobeniusNorm, spectralNorm, spectralNormalize, stableRank } from './spectral-norm.js';
import { expectAllClose, expectClose, linalgFixtures, randomMatrix } from './test-utils/helpers.js';

const typed = (a: number[][], Ctor: Float32ArrayConstructor | Float64ArrayConstructor = Float64Array) => ({
  rows: a.length,
  cols: a[0]!.length,
  data: Ctor.from(a.flat()),
});

describe('singular values and norms', () => {
  it('match the closed form for [[1, 2], [3, 4]]', () => {
    // AᵀA = [[10, 14], [14, 20]]: λ = 15 ± √221, so σ = √(15 ± √221) (σ₁σ₂ = |det| = 2).
    const s = singularValues([
      [1, 2],
      [3, 4],
    ]);
    expectAllClose(s, [Math.sqrt(15 + Math.sqrt(221)), Math.sqrt(15 - Math.sqrt(221))], 1e-14);
    expectClose(
      spectralNorm([
        [1, 2],
        [3, 4],
      ]),
      Math.sqrt(15 + Math.sqrt(221)),
      1e-14,
    );
    expectClose(
      frobeniusNorm([
        [1, 2],
        [3, 4],
      ]),
      Math.sqrt(30),
      1e-15,
    );
    expectClose(
      nuclearNorm([
        [1, 2],
        [3, 4],
      ]),
      Math.sqrt(15 + Math.sqrt(221)) + Math.sqrt(15 - Math.sqrt(221)),
      1e-14,
    );
    expectClose(
      conditionNumber([
        [1, 2],
        [3, 4],
      ]),
      (15 + Math.sqrt(221)) / 2,
      1e-12,
    );
    expect(
      conditionNumber([
        [1, 1],
        [1, 1],
      ]),
    ).toBe(Number.POSITIVE_INFINITY);
    expectClose(
      stableRank([
        [3, 0],
        [0, 0],
      ]),
      1,
      1e-15,
    );
    expectClose(
      stableRank([
        [1, 0],
        [0, 1],
      ]),
      2,
      1e-15,
    );
  });

  it('agree with numpy on the fixture matrices', () => {
    for (const [name, f] of Object.entries(linalgFixtures)) {
      const s = singularValues(f.matrix);
      // Backward-stable SVDs agree to ≈ ε·σ_max·(size) in absolute terms.
      const top = f.singularValues[0]!;
      expectAllClose(s, f.singularValues, 1e-13 * top, 1e-12);
      expectClose(frobeniusNorm(f.matrix), f.frobenius, 0, 1e-14);
      expectClose(nuclearNorm(f.matrix), f.nuclear, 0, 1e-12);
      for (const method of ['exact', 'lanczos', 'power'] as const) {
        expectClose(spectralNorm(f.matrix, { method, maxIter: 100_000 }), top, 0, 1e-9);
      }
      if (f.cond !== undefined && name !== 'illcond') expectClose(conditionNumber(f.matrix), f.cond, 0, 1e-9);
    }
    // κ = 1e9 still finite (σ_min = 1e-9 ≫ 4·ε); relative accuracy of σ_min ≈ ε·σ_max/σ_min = 1e-7.
    expectClose(conditionNumber(linalgFixtures.illcond!.matrix), linalgFixtures.illcond!.cond!, 0, 1e-6);
  });

  it('accept Float32Array and Float64Array matrices, and never mutate inputs', () => {
    const a = randomMatrix(7, 5, 11);
    const copy = a.map((r) => [...r]);
    const t64 = typed(a);
    const data64 = Float64Array.from(t64.data);
    const ref = singularValues(a);
    expectAllClose(singularValues(t64), ref, 1e-14);
    expectAllClose(singularValues(typed(a, Float32Array)), ref, 1e-6, 1e-6);
    spectralNormalize(a);
    spectralNormalize(t64);
    eigenvalues(randomMatrix(3, 3, 1));
    expect(a).toEqual(copy);
    expect(t64.data).toEqual(data64);
  });

  it('spectralNormalize scales to the target norm and keeps the input kind', () => {
    const out = spectralNormalize([
      [2, 0],
      [0, 1],
    ]);
    expect(out).toEqual([
      [1, 0],
      [0, 0.5],
    ]);
    const t = spectralNormalize(typed(randomMatrix(80, 90, 5)), { target: 3 });
    expect(t.data).toBeInstanceOf(Float64Array);
    expectClose(spectralNorm(t), 3, 1e-9);
    expect(spectralNormalize([[0, 0]])).toEqual([[0, 0]]);
  });

  it('Lanczos reaches the requested tolerance on a large matrix', () => {
    const a = typed(randomMatrix(200, 150, 9));
    const exact = spectralNorm(a, { method: 'exact' });
    expectClose(spectralNorm(a, { method: 'lanczos', tol: 1e-12 }), exact, 0, 1e-11);
    expectClose(spectralNorm(a, { method: 'lanczos', tol: 1e-6 }), exact, 0, 1e-6);
    expect(() => spectralNorm(a, { method: 'lanczos', tol: 1e-14, maxIter: 3 })).toThrow(
      /spectralNorm: Lanczos must reach relative error 1e-14 within options\.maxIter = 3 steps/,
    );
  });

  it('rejects malformed matrices', () => {
    expect(() => spectralNorm([[1, 2], [3]])).toThrow(
      /spectralNorm: A must have rows of equal length 2, got row 1 of length 1/,
    );
    expect(() => singularValues([])).toThrow(
      /singularValues: A must be a non-empty 2-D array \(number\[\]\[\]\), got shape \[0\]/,
    );
    expect(() => frobeniusNorm([[1, Number.NaN]])).toThrow(
      /frobeniusNorm: A must have finite entries, got NaN at \[0, 1\]/,
    );
    expect(() => singularValues({ rows: 2, cols: 2, data: new Float64Array(3) })).toThrow(
      /singularValues: A\.data must have rows \* cols = 4 entries, got 3 for shape \[2, 2\]/,
    );
    expect(() => eigenvalues([[1, 2, 3]])).toThrow(/eigenvalues: A must be square, got shape \[1, 3\]/);
    expect(() => stableRank([[0, 0]])).toThrow(/stableRank: A must be nonzero, got the zero matrix/);
    // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong input
    expect(() => spectralNorm([[1]], { method: 'qr' as any })).toThrow(
      /spectralNorm: options\.method must be 'auto', 'lanczos', 'power' or 'exact', got "qr"/,
    );
  });
});

describe('eigenvalues and spectral radius', () => {
  it('a rotation has eigenvalues e^{±iθ} and spectral radius 1', () => {
    const t = 0.3;
    const R = [
      [Math.cos(t), -Math.sin(t)],
      [Math.sin(t), Math.cos(t)],
    ];
    const { re, im } = eigenvalues(R);
    expectAllClose(re, [Math.cos(t), Math.cos(t)], 1e-15);
    expectAllClose(im, [Math.sin(t), -Math.sin(t)], 1e-15);
    expectClose(spectralRadius(R), 1, 1e-15);
  });

  it('agree with numpy eigvals on the fixtures', () => {
    for (const f of Object.values(linalgFixtures)) {
      const re = f.eigRe;
      const im = f.eigIm;
      if (re === undefined || im === undefined) continue;
      const got = eigenvalues(f.matrix);
      const idx = re.map((_, i) => i).sort((a, b) => re[b]! - re[a]! || im[b]! - im[a]!);
      expectAllClose(
        got.re,
        idx.map((i) => re[i]!),
        1e-12,
        1e-12,
      );
      expectAllClose(
        got.im,
        idx.map((i) => im[i]!),
        1e-12,
        1e-12,
      );
      expectClose(spectralRadius(f.matrix), f.spectralRadius!, 1e-12, 1e-12);
    }
  });
});

describe('spectral properties (fast-check)', () => {
  const square = fc.record({ n: fc.integer({ min: 1, max: 12 }), seed: fc.integer({ min: 0, max: 1e6 }) });

  it('σ_max ≥ spectral radius', () => {
    fc.assert(
      fc.property(square, ({ n, seed }) => {
        const a = randomMatrix(n, n, seed);
        expect(spectralNorm(a)).toBeGreaterThanOrEqual(spectralRadius(a) * (1 - 1e-12));
      }),
      { seed: 1, numRuns: 60 },
    );
  });

  it('stable rank lies in [1, rank]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer(),
        (m, n, seed) => {
          const r = stableRank(randomMatrix(m, n, seed));
          expect(r).toBeGreaterThanOrEqual(1);
          expect(r).toBeLessThanOrEqual(Math.min(m, n) * (1 + 1e-12));
        },
      ),
      { seed: 2, numRuns: 60 },
    );
  });

  it('orthogonal matrices have every singular value equal to the gain', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.integer(),
        fc.double({ min: 0.1, max: 3, noNaN: true }),
        (n, seed, gain) => {
          const q = orthogonalMatrix(n, { seed, gain });
          for (const s of singularValues(q)) expectClose(s, gain, 1e-13 * gain);
        },
      ),
      { seed: 3, numRuns: 40 },
    );
  });

  it('power iteration and Lanczos agree with the exact SVD', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 65, max: 90 }),
        fc.integer({ min: 65, max: 90 }),
        fc.integer(),
        (m, n, seed) => {
          const a = typed(randomMatrix(m, n, seed));
          const exact = spectralNorm(a, { method: 'exact' });
          expectClose(spectralNorm(a, { method: 'lanczos', seed }), exact, 0, 1e-9);
          expectClose(
            spectralNorm(a, { method: 'power', tol: 1e-9, maxIter: 200_000, seed }),
            exact,
            0,
            1e-7,
          );
        },
      ),
      { seed: 4, numRuns: 8 },
    );
  });
});
