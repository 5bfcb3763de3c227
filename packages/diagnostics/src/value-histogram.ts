import { describeValue, InvalidArgumentError } from '@gflow/core';

/**
 * A histogram of a tensor's values in TensorBoard's `HistogramProto` layout: exact statistics
 * (min, max, count, sum, sum of squares, in float64) and counts in TensorFlow's default buckets.
 */
export interface ValueHistogram {
  /** What it shows: `gradients/<parameter>` or `parameters/<parameter>` (as `wandb.watch` names them). */
  readonly tag: string;
  /** The smallest finite value (0 when there is none). */
  readonly min: number;
  /** The largest finite value (0 when there is none). */
  readonly max: number;
  /** Number of finite values. */
  readonly num: number;
  /** Σ x over the finite values, in float64. */
  readonly sum: number;
  /** Σ x² over the finite values, in float64. */
  readonly sumSquares: number;
  /**
   * Right edges of the buckets, increasing: bucket i holds the values in
   * [bucketLimits[i−1], bucketLimits[i]) (from −1.797e308 for i = 0). Runs of empty buckets are
   * merged into one, as TensorFlow's `Histogram::EncodeToProto` does.
   */
  readonly bucketLimits: readonly number[];
  /** Values per bucket. */
  readonly bucketCounts: readonly number[];
  /** Values left out because they are NaN or ±∞ (a histogram cannot place them). */
  readonly nonFinite: number;
}

let defaultLimits: Float64Array | undefined;

/**
 * TensorFlow's default histogram bucket limits (`tensorflow/core/lib/histogram/histogram.cc`,
 * `InitDefaultBuckets`): ±1e-12·1.1ᵏ below 1e20, with 0 and ±DBL_MAX; 1551 limits.
 *
 * @returns The limits, increasing (a shared array: do not change it).
 * @example
 * ```ts
 * tensorflowBucketLimits().length; // 1551
 * ```
 * @see https://github.com/tensorflow/tensorflow/blob/master/tensorflow/core/lib/histogram/histogram.cc
 */
export function tensorflowBucketLimits(): Float64Array {
  if (defaultLimits) return defaultLimits;
  const pos: number[] = [];
  for (let v = 1e-12; v < 1e20; v *= 1.1) pos.push(v);
  pos.push(Number.MAX_VALUE);
  const neg = pos.map((v) => -v).reverse();
  defaultLimits = Float64Array.from([...neg, 0, ...pos]);
  return defaultLimits;
}

const LOG_1_1 = Math.log(1.1);
/** Index of 0 in the default limits (774 negative limits and −DBL_MAX come before it). */
const ZERO = 775;

/**
 * TensorFlow's `std::upper_bound`: the first i with limits[i] > x (the last bucket for
 * x = DBL_MAX). A first guess from log₁.₁(|x|/1e-12) is corrected against the limits
 * themselves, so the answer is exact (limits[i−1] ≤ x < limits[i]) whatever the rounding of the
 * logarithm; the correction takes a step or two instead of a binary search's eleven.
 */
function bucketIndex(limits: Float64Array, x: number): number {
  const n = limits.length;
  let i: number;
  const a = Math.abs(x);
  if (a < 1e-12) i = ZERO + (x >= 0 ? 1 : 0);
  else {
    const k = Math.floor(Math.log(a / 1e-12) / LOG_1_1);
    i = x > 0 ? ZERO + 2 + k : ZERO - 1 - k;
  }
  if (i < 0) i = 0;
  if (i > n) i = n;
  while (i > 0 && (limits[i - 1] as number) > x) i--;
  while (i < n && (limits[i] as number) <= x) i++;
  return i === n ? n - 1 : i;
}

/**
 * The histogram of `values` in TensorFlow's default buckets, with exact min, max, count, sum
 * and sum of squares (non-finite values are counted in `nonFinite` and left out of the rest).
 *
 * Σx and Σx² are summed in float64 on the host, which is scale-safe for float32 values: the
 * square of the largest float32 (1.2e77) and of the smallest subnormal (2e-90) are both normal
 * float64 numbers, so neither overflows nor underflows (a float32 Σx² would, beyond 1.8e19 and
 * below 1e-19). Bucket of x: the first limit greater than x (as TensorFlow's `std::upper_bound`),
 * and the last bucket for x = DBL_MAX.
 *
 * @param tag - The histogram's name.
 * @param values - The values (e.g. a tensor's `dataSync()`).
 * @returns The histogram.
 * @throws InvalidArgumentError (from `@gflow/core`) when `values` is not array-like.
 * @example
 * ```ts
 * const h = valueHistogram('parameters/dense/kernel', kernel.dataSync());
 * h.num; // kernel.size, when every value is finite
 * ```
 * @see https://github.com/tensorflow/tensorboard/blob/master/tensorboard/compat/proto/summary.proto
 *   (HistogramProto)
 */
export function valueHistogram(tag: string, values: ArrayLike<number>): ValueHistogram {
  if (values == null || typeof values.length !== 'number') {
    throw new InvalidArgumentError(
      `valueHistogram: values must be array-like (e.g. a Float32Array), got ${describeValue(values)}`,
    );
  }
  const limits = tensorflowBucketLimits();
  const counts = new Float64Array(limits.length);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let num = 0;
  let sum = 0;
  let sumSquares = 0;
  let nonFinite = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    if (!Number.isFinite(x)) {
      nonFinite++;
      continue;
    }
    num++;
    sum += x;
    sumSquares += x * x;
    if (x < min) min = x;
    if (x > max) max = x;
    const b = bucketIndex(limits, x);
    counts[b] = (counts[b] as number) + 1;
  }
  const bucketLimits: number[] = [];
  const bucketCounts: number[] = [];
  if (num > 0) {
    for (let i = 0; i < counts.length; ) {
      let end = limits[i] as number;
      let count = counts[i] as number;
      let j = i + 1;
      while (count === 0 && j < counts.length && counts[j] === 0) {
        end = limits[j] as number;
        count = counts[j] as number;
        j++;
      }
      bucketLimits.push(end);
      bucketCounts.push(count);
      i = j;
    }
  }
  return {
    tag,
    min: num > 0 ? min : 0,
    max: num > 0 ? max : 0,
    num,
    sum,
    sumSquares,
    bucketLimits,
    bucketCounts,
    nonFinite,
  };
}
