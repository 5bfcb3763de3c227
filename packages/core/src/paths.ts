/**
 * Residual networks as ensembles of paths (Veit, Wilber & Belongie 2016): counting paths by
 * length and weighing them by the gradient they carry.
 *
 * @module
 */
import { describeValue, InvalidArgumentError } from './errors.js';
import {
  readOptions,
  requireFinite,
  requireInteger,
  requireNonNegative,
  requireProbability,
} from './internal/validate.js';

const MAX_BLOCKS = 1_000_000;
// Exact bigint rows cost O(L²) digit operations (seconds near 100,000; timings in BENCHMARKS.md).
const MAX_COUNT_BLOCKS = 100_000;

/** ln C(L, k) for k = 0..L, by the running sum ln C(L, k+1) = ln C(L, k) + ln(L − k) − ln(k + 1). */
function logBinomialRow(L: number): Float64Array {
  const row = new Float64Array(L + 1);
  for (let k = 0; k < L; k++) row[k + 1] = row[k]! + Math.log(L - k) - Math.log(k + 1);
  // Symmetrize to halve the accumulated rounding (C(L, k) = C(L, L − k)).
  for (let k = 0; k <= L; k++) {
    const j = L - k;
    if (j < k) row[k] = row[j]!;
  }
  return row;
}

/** log Σ exp(x_i) over a range, stable. */
function logSumExp(x: ArrayLike<number>, from = 0, to = x.length - 1): number {
  let m = Number.NEGATIVE_INFINITY;
  for (let i = from; i <= to; i++) if (x[i]! > m) m = x[i]!;
  if (m === Number.NEGATIVE_INFINITY) return m;
  let s = 0;
  for (let i = from; i <= to; i++) s += Math.exp(x[i]! - m);
  return m + Math.log(s);
}

/**
 * The exact number of paths of each length through L residual blocks: C(L, k) for k = 0..L
 * (a path picks, in each block, the branch or the skip; length k = number of branches taken).
 * They sum to 2^L.
 *
 * Computed as bigint by the exact recurrence C(L, k+1) = C(L, k)·(L − k)/(k + 1) (every division exact).
 *
 * @param blocks - L, an integer in [0, 100,000] (exact bigints cost O(L²) digit operations, seconds near 100,000).
 * @returns `counts[k]` = C(L, k) as bigint, length L + 1.
 * @throws InvalidArgumentError when L is negative or not an integer.
 * @example
 * ```ts
 * import { pathCounts } from '@gflow/core';
 * pathCounts(10)[5]; // 252n, of 2^10 = 1024 paths
 * ```
 * @see Veit, Wilber & Belongie (2016), "Residual Networks Behave Like Ensembles of Relatively Shallow Networks".
 */
export function pathCounts(blocks: number): bigint[] {
  const L = requireInteger('pathCounts', 'blocks', blocks, 0, MAX_COUNT_BLOCKS);
  const out = new Array<bigint>(L + 1);
  let c = 1n;
  const big = BigInt(L);
  out[0] = c;
  for (let k = 0; k < L; k++) {
    c = (c * (big - BigInt(k))) / BigInt(k + 1);
    out[k + 1] = c;
  }
  return out;
}

/** The distribution of path lengths through L residual blocks. */
export interface PathLengthDistribution {
  /** `logProbabilities[k]` = ln P(K = k) (−Infinity where the probability is 0). */
  readonly logProbabilities: number[];
  /** `probabilities[k]` = P(K = k); tails underflow to 0 for large L, use the logs there. */
  readonly probabilities: number[];
  /** E[K] = Lp. */
  readonly mean: number;
  /** √(Lp(1 − p)). */
  readonly std: number;
}

/**
 * The distribution of path length K ~ Binomial(L, p) through L residual blocks when each block's
 * branch is taken with probability p (p = ½: every one of the 2^L paths equally likely):
 * ln P(K = k) = ln C(L, k) + k ln p + (L − k) ln(1 − p), computed in log space (no underflow at L = 10,000).
 *
 * @param blocks - L ≥ 0.
 * @param p - Probability of taking a branch (default 0.5).
 * @returns Log-probabilities, probabilities, mean and standard deviation.
 * @throws InvalidArgumentError when L is not a non-negative integer or p is outside [0, 1].
 * @example
 * ```ts
 * import { pathLengthDistribution } from '@gflow/core';
 * pathLengthDistribution(10).probabilities[5]; // 252/1024
 * ```
 * @see Veit, Wilber & Belongie (2016), "Residual Networks Behave Like Ensembles of Relatively Shallow Networks".
 */
export function pathLengthDistribution(blocks: number, p = 0.5): PathLengthDistribution {
  const fn = 'pathLengthDistribution';
  const L = requireInteger(fn, 'blocks', blocks, 0, MAX_BLOCKS);
  requireProbability(fn, 'p', p);
  const row = logBinomialRow(L);
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  const logProbabilities = new Array<number>(L + 1);
  for (let k = 0; k <= L; k++) {
    // 0·ln 0 = 0 at the ends.
    const a = k === 0 ? 0 : k * lp;
    const b = k === L ? 0 : (L - k) * lq;
    logProbabilities[k] = row[k]! + a + b;
  }
  return {
    logProbabilities,
    probabilities: logProbabilities.map(Math.exp),
    mean: L * p,
    std: Math.sqrt(L * p * (1 - p)),
  };
}

/**
 * The fraction of the 2^L paths whose length lies in [kMin, kMax]:
 * Σ_{k=kMin}^{kMax} C(L, k) / 2^L, by log-sum-exp (exact to rounding at L = 10,000).
 *
 * @param blocks - L ≥ 0.
 * @param kMin - Smallest length (clamped to 0).
 * @param kMax - Largest length (clamped to L); an empty range gives 0.
 * @returns The fraction in [0, 1].
 * @throws InvalidArgumentError when L is not a non-negative integer or a bound is not an integer.
 * @example
 * ```ts
 * import { pathFraction } from '@gflow/core';
 * pathFraction(10, 5, 5); // 252/1024
 * pathFraction(54, 19, 35); // ≈ 0.98: most paths through 54 residual blocks have length 19–35
 * ```
 * @see Veit, Wilber & Belongie (2016), "Residual Networks Behave Like Ensembles of Relatively Shallow Networks".
 */
export function pathFraction(blocks: number, kMin: number, kMax: number): number {
  const fn = 'pathFraction';
  const L = requireInteger(fn, 'blocks', blocks, 0, MAX_BLOCKS);
  requireInteger(fn, 'kMin', kMin, Number.MIN_SAFE_INTEGER);
  requireInteger(fn, 'kMax', kMax, Number.MIN_SAFE_INTEGER);
  const lo = Math.max(0, kMin);
  const hi = Math.min(L, kMax);
  if (hi < lo) return 0;
  if (lo === 0 && hi === L) return 1;
  const row = logBinomialRow(L);
  return Math.min(1, Math.exp(logSumExp(row, lo, hi) - L * Math.LN2));
}

/** Options of {@link effectivePathContribution}. */
export interface EffectivePathOptions {
  /** The share of the total gradient the reported length range must carry (default 0.9). */
  readonly share?: number;
}

/** A contiguous range of path lengths and the share of the gradient it carries. */
export interface PathRange {
  /** Shortest length in the range. */
  readonly kMin: number;
  /** Longest length in the range. */
  readonly kMax: number;
  /** Share of the total carried by lengths kMin..kMax. */
  readonly share: number;
}

/** Result of {@link effectivePathContribution}. */
export interface EffectivePathContribution {
  /** `logContribution[k]` = ln(C(L, k)·g^k), the log of the gradient carried by all paths of length k. */
  readonly logContribution: number[];
  /** `share[k]` = C(L, k) g^k / (1 + g)^L, the fraction of the total carried by length k. */
  readonly share: number[];
  /** ln of the total Σ_k C(L, k) g^k = L ln(1 + g). */
  readonly logTotal: number;
  /** Mean path length weighted by contribution, L·g/(1 + g). */
  readonly meanLength: number;
  /** The most contributing length. */
  readonly mode: number;
  /** The shortest contiguous length range [kMin, kMax] carrying at least `options.share` of the total, and its share. */
  readonly range: PathRange;
}

/**
 * The gradient carried by residual paths of each length when every residual branch scales the
 * gradient by `gainPerBlock` = g: paths of length k number C(L, k) and each carries g^k, so
 * length k carries C(L, k) g^k of the total (1 + g)^L. With g ≪ 1 (as Veit et al. measured) the
 * gradient comes from short paths even though most paths are long.
 *
 * Reports the shortest contiguous range of lengths that carries a given share of the total
 * (grown from the mode, which is optimal because the weights are unimodal).
 *
 * @param blocks - L ≥ 0.
 * @param gainPerBlock - g ≥ 0, the gradient magnitude factor of one residual branch.
 * @param options - `share` in (0, 1] (default 0.9).
 * @returns Per-length contributions (log and share), total, mean, mode and the range.
 * @throws InvalidArgumentError when L is not a non-negative integer, g < 0 or share is outside (0, 1].
 * @example
 * ```ts
 * import { effectivePathContribution } from '@gflow/core';
 * const r = effectivePathContribution(54, 0.1);
 * r.meanLength; // 54·0.1/1.1 ≈ 4.9: short paths carry the gradient
 * r.range; // a range around 2..9 that carries 90%
 * ```
 * @see Veit, Wilber & Belongie (2016), "Residual Networks Behave Like Ensembles of Relatively Shallow Networks".
 */
export function effectivePathContribution(
  blocks: number,
  gainPerBlock: number,
  options?: EffectivePathOptions,
): EffectivePathContribution {
  const fn = 'effectivePathContribution';
  const L = requireInteger(fn, 'blocks', blocks, 0, MAX_BLOCKS);
  const g = requireNonNegative(fn, 'gainPerBlock', gainPerBlock);
  const o = readOptions(fn, options);
  const target = requireFinite(fn, 'options.share', o.share ?? 0.9);
  if (!(target > 0 && target <= 1)) {
    throw new InvalidArgumentError(`${fn}: options.share must be in (0, 1], got ${describeValue(target)}`);
  }
  const row = logBinomialRow(L);
  const lg = Math.log(g);
  const logContribution = new Array<number>(L + 1);
  for (let k = 0; k <= L; k++) logContribution[k] = row[k]! + (k === 0 ? 0 : k * lg);
  const logTotal = L * Math.log1p(g);
  const share = logContribution.map((x) => Math.exp(x - logTotal));
  let mode = 0;
  for (let k = 1; k <= L; k++) if (logContribution[k]! > logContribution[mode]!) mode = k;
  let lo = mode;
  let hi = mode;
  let acc = share[mode]!;
  const need = target * (1 - 1e-12);
  while (acc < need && (lo > 0 || hi < L)) {
    const left = lo > 0 ? share[lo - 1]! : -1;
    const right = hi < L ? share[hi + 1]! : -1;
    if (right > left) acc += share[++hi]!;
    else acc += share[--lo]!;
  }
  return {
    logContribution,
    share,
    logTotal,
    meanLength: (L * g) / (1 + g),
    mode,
    range: { kMin: lo, kMax: hi, share: Math.min(1, acc) },
  };
}
