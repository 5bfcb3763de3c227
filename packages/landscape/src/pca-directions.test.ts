import { describe, expect, it } from 'vitest';
import { pcaDirections } from './pca-directions.js';

function dot(a: readonly number[], b: readonly number[]) {
  return a.reduce((s, x, i) => s + x * b[i]!, 0);
}

describe('pcaDirections', () => {
  // A trajectory in the plane of orthonormal u, w about the final point θ_f, with
  // θ_i − θ_f = a_i u + b_i w. The principal directions are ±u, ±w when Σa² > Σb² and Σab = 0.
  const u = [0.6, 0.8, 0, 0, 0];
  const w = [0, 0, 1, 0, 0];
  const thetaF = [1, -1, 0.5, 2, 3];
  const coeffs: [number, number][] = [
    [4, 1],
    [-4, 1],
    [2, -1],
    [-2, -1],
    [0, 0],
  ];
  const snaps = coeffs.map(([a, b]) => [
    { name: 'k', shape: [3], values: thetaF.slice(0, 3).map((t, j) => t + a * u[j]! + b * w[j]!) },
    { name: 'b', shape: [2], values: thetaF.slice(3).map((t, j) => t + a * u[j + 3]! + b * w[j + 3]!) },
  ]);

  it('recovers the plane of the trajectory, the explained variance and every coordinate', () => {
    const r = pcaDirections(snaps);
    const d1 = r.d1.flatMap((p) => p.values);
    const d2 = r.d2.flatMap((p) => p.values);
    // Σa² = 40, Σb² = 4, Σab = 0: d1 = ±u, d2 = ±w, explained 40/44 and 4/44.
    expect(Math.abs(dot(d1, u))).toBeCloseTo(1, 12);
    expect(Math.abs(dot(d2, w))).toBeCloseTo(1, 12);
    expect(r.explainedVariance[0]).toBeCloseTo(40 / 44, 12);
    expect(r.explainedVariance[1]).toBeCloseTo(4 / 44, 12);
    // Signed so that the first snapshot has non-negative coordinates: (4, 1).
    r.projections.forEach(([x, y], i) => {
      expect(x).toBeCloseTo(coeffs[i]![0], 12);
      expect(y).toBeCloseTo(coeffs[i]![1], 12);
    });
    expect(r.d1.map((p) => p.shape)).toEqual([[3], [2]]);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('accepts flat arrays', () => {
    const r = pcaDirections(coeffs.map(([a, b]) => thetaF.map((t, j) => t + a * u[j]! + b * w[j]!)));
    expect(Math.abs(dot(r.d1[0]!.values, u))).toBeCloseTo(1, 12);
  });

  it('rejects too few snapshots, a one-dimensional path, mismatched shapes and NaN', () => {
    expect(() => pcaDirections(snaps.slice(0, 2))).toThrow(
      /pcaDirections: snapshots must be an array of at least 3 snapshots, got 2/,
    );
    expect(() =>
      pcaDirections([
        [1, 1],
        [2, 2],
        [3, 3],
      ]),
    ).toThrow(/must span at least two directions.*along one line/);
    expect(() =>
      pcaDirections([
        [1, 1],
        [2, 2, 2],
        [3, 3],
      ]),
    ).toThrow(/pcaDirections: snapshots\[1\] must have the parts and sizes/);
    expect(() =>
      pcaDirections([
        [1, Number.NaN],
        [2, 0],
        [3, 3],
      ]),
    ).toThrow(/snapshots\[0\] must be finite, got NaN/);
  });
});
