/** Count, mean and central sums M2 = Σ(x−μ)², M3, M4 of a set of numbers. */
export interface CentralSums {
  n: number;
  mean: number;
  m2: number;
  m3: number;
  m4: number;
}

/** Merges the central sums of two disjoint sets (Pébay 2008, eqs. 3.1 for p = 2, 3, 4). */
export function mergeSums(a: CentralSums, b: CentralSums): CentralSums {
  if (a.n === 0) return { ...b };
  if (b.n === 0) return { ...a };
  const n = a.n + b.n;
  const d = b.mean - a.mean;
  const d2 = d * d;
  const mean = a.mean + (d * b.n) / n;
  const m2 = a.m2 + b.m2 + (d2 * a.n * b.n) / n;
  const m3 =
    a.m3 + b.m3 + (d * d2 * a.n * b.n * (a.n - b.n)) / (n * n) + (3 * d * (a.n * b.m2 - b.n * a.m2)) / n;
  const m4 =
    a.m4 +
    b.m4 +
    (d2 * d2 * a.n * b.n * (a.n * a.n - a.n * b.n + b.n * b.n)) / (n * n * n) +
    (6 * d2 * (a.n * a.n * b.m2 + b.n * b.n * a.m2)) / (n * n) +
    (4 * d * (a.n * b.m3 - b.n * a.m3)) / n;
  return { n, mean, m2, m3, m4 };
}

/** Mean, population variance, skewness m3/m2^1.5 and excess kurtosis m4/m2² − 3 from central sums. */
export function describeSums(s: CentralSums): {
  mean: number;
  variance: number;
  skewness: number;
  kurtosis: number;
} {
  if (s.n === 0)
    return { mean: Number.NaN, variance: Number.NaN, skewness: Number.NaN, kurtosis: Number.NaN };
  const variance = s.m2 / s.n;
  const skewness = variance > 0 ? s.m3 / s.n / variance ** 1.5 : 0;
  const kurtosis = variance > 0 ? s.m4 / s.n / (variance * variance) - 3 : 0;
  return { mean: s.mean, variance, skewness, kurtosis };
}
