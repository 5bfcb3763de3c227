import { hostScaledPair, SCALE_FLOOR } from '@gflow/core/internal';
import { hostFloat32View } from '@gflow/core/internal/tfjs';
import * as tf from '@tensorflow/tfjs';
import { HOST_MEMORY_ENGINES } from './host-activation-stats.js';
import type { NamedTensors } from './tensors.js';
import { f32 } from './tensors.js';

/**
 * Scale-safe norms.
 *
 * A float32 sum of squares underflows for elements below about 1e-19 and overflows above about
 * 1.8e19, so `sqrt(sum(square(x)))` says 0 for a vanishing gradient and ∞ for an exploding one:
 * exactly the cases gflow exists to show. Every norm gflow reads goes through this module instead,
 * as a *scaled pair* [m, s]: m = max(max|xᵢ|, 2⁻¹²⁶) and s = Σ (xᵢ/m)², both float32 and both
 * safe (m is one of the elements or the smallest normal float32, and 1 ≤ s ≤ n unless every
 * element is 0). The squared norm is m²·s, formed on the host in float64 (m² lies between 1e-76
 * and 1.2e77, inside float64's range), so every element magnitude from the smallest subnormal to
 * the largest finite float32 gives the norm to float32 rounding (the division rounds once per
 * element: relative error below 1e-7), and norms of tensors 1e60 apart add up in float64.
 * This is the scaling of BLAS `nrm2` (Blue 1978; Anderson 2017), done in two passes because a
 * tensor engine has a max reduction at hand.
 *
 * On the engines whose tensors live in host memory ({@link HOST_MEMORY_ENGINES}) the pair is
 * computed in float64 on the host from one read-back; elsewhere by reductions on the device (max,
 * divide, square, sum), and only the pairs are read back.
 *
 * Non-finite elements: an infinite element gives m = ∞ and a squared norm of ∞; a NaN gives NaN.
 *
 * @internal
 * @module
 */

// The host computation of a pair lives in @gflow/core/internal, shared with the fused RNN kernels
// of @gflow/backend that hand each step's pair.
export { hostScaledPair, SCALE_FLOOR } from '@gflow/core/internal';

/** m²·s in float64: the squared norm of a scaled pair (∞ when the scale is, NaN for NaN). */
export function pairSquared(scale: number, sum: number): number {
  if (scale === Number.POSITIVE_INFINITY) return Number.isNaN(sum) ? Number.POSITIVE_INFINITY : scale;
  return scale * scale * sum;
}

/**
 * The squared norms of `k` pairs stored interleaved ([m₀, s₀, m₁, s₁, …]) in `values` from index
 * `at`, in float64.
 */
export function decodeSquared(values: ArrayLike<number>, at: number, k: number): Float64Array {
  const out = new Float64Array(k);
  for (let i = 0; i < k; i++)
    out[i] = pairSquared(values[at + 2 * i] as number, values[at + 2 * i + 1] as number);
  return out;
}

/** Whether the scaled pairs are computed on the host on the current engine. */
export function pairsOnHost(): boolean {
  return HOST_MEMORY_ENGINES.has(tf.getBackend());
}

/** The device reductions of one pair: [max(max|x|, 2⁻¹²⁶), Σ(x/m)²] as a float32 [2] tensor. */
function devicePair(x: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const t = f32(x);
    if (t.size === 0) return tf.tensor1d([1, 0]);
    const m = tf.maximum(tf.max(tf.abs(t)), SCALE_FLOOR);
    return tf.stack([m, tf.sum(tf.square(tf.div(t, m)))]) as tf.Tensor1D;
  });
}

/**
 * The scaled pairs of the named tensors, interleaved into one float32 vector [m₀, s₀, m₁, s₁, …]
 * of length 2·`names.length` (see the module comment). Every name must be in `tensors`. The result
 * is the caller's to dispose.
 *
 * @param onHost - Compute on the host from a read-back (default: on host-memory engines).
 */
export function scaledPairs(
  tensors: NamedTensors,
  names: readonly string[],
  onHost = pairsOnHost(),
): tf.Tensor1D {
  if (onHost) {
    const out = new Float32Array(2 * names.length);
    names.forEach((n, i) => {
      const t = tensors[n] as tf.Tensor;
      const [m, s] = hostScaledPair(hostFloat32View(t) ?? (t.dataSync() as ArrayLike<number>));
      out[2 * i] = m;
      out[2 * i + 1] = s;
    });
    return tf.tensor1d(out, 'float32');
  }
  return tf.tidy(() => {
    if (names.length === 0) return tf.zeros([0]) as tf.Tensor1D;
    const parts = names.map((n) => devicePair(tensors[n] as tf.Tensor));
    return (parts.length === 1 ? parts[0] : tf.concat(parts)) as tf.Tensor1D;
  });
}

/** The scaled pair of one tensor (see {@link scaledPairs}). */
export function scaledPair(t: tf.Tensor, onHost = pairsOnHost()): tf.Tensor1D {
  return scaledPairs({ t }, ['t'], onHost);
}

/**
 * The norm of all tensors together from their interleaved pairs, on the device:
 * M = max mᵢ, ‖x‖ = M·√(Σ sᵢ (mᵢ/M)²). Float32, so ∞ only when the norm itself exceeds the
 * largest float32 (3.4e38); an infinite element gives ∞, a NaN gives NaN.
 */
export function normFromPairs(pairs: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    if (pairs.size === 0) return tf.scalar(0);
    const [m, s] = splitPairs(pairs);
    const top = tf.max(m);
    const total = tf.sum(tf.mul(s, tf.square(tf.div(m, top))));
    return tf.where(tf.equal(top, Number.POSITIVE_INFINITY), top, tf.mul(top, tf.sqrt(total))) as tf.Scalar;
  });
}

/**
 * The factor that brings the norm described by `pairs` down to `max`: 1 when ‖x‖ ≤ max, else
 * max/‖x‖, formed as (max/√S)/M so that it stays right when ‖x‖ itself exceeds float32's range.
 * A NaN or infinite element gives a non-finite factor (it stays visible).
 */
export function clipFactorFromPairs(pairs: tf.Tensor1D, max: number): tf.Scalar {
  return tf.tidy(() => {
    if (pairs.size === 0) return tf.scalar(1);
    const [m, s] = splitPairs(pairs);
    const top = tf.max(m);
    const root = tf.sqrt(tf.sum(tf.mul(s, tf.square(tf.div(m, top)))));
    const norm = tf.mul(top, root);
    const factor = tf.div(tf.div(max, root), top);
    return tf.where(tf.lessEqual(norm, max), tf.onesLike(norm), factor) as tf.Scalar;
  });
}

/**
 * {@link normFromPairs} and {@link clipFactorFromPairs} of interleaved pairs held on the host,
 * in float64 (the same formulas: M = max mᵢ, ‖x‖ = M·√(Σ sᵢ (mᵢ/M)²), factor 1 when ‖x‖ ≤ max,
 * else (max/√S)/M; ∞ for an infinite element, NaN for a NaN). The engines that compute the pairs
 * on the host use it instead of a dozen small kernels per step.
 */
export function hostNormAndClipFactor(
  pairs: ArrayLike<number>,
  max: number,
): { norm: number; factor: number } {
  const k = pairs.length >> 1;
  if (k === 0) return { norm: 0, factor: 1 };
  let top = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < k; i++) {
    const m = pairs[2 * i]!;
    top = m > top || Number.isNaN(m) ? m : top;
  }
  let total = 0;
  for (let i = 0; i < k; i++) {
    const r = pairs[2 * i]! / top;
    total += pairs[2 * i + 1]! * r * r;
  }
  const root = Math.sqrt(total);
  const norm = top === Number.POSITIVE_INFINITY ? top : top * root;
  const factor = norm <= max ? 1 : max / root / top;
  return { norm, factor };
}

function splitPairs(pairs: tf.Tensor1D): [tf.Tensor1D, tf.Tensor1D] {
  const two = tf.reshape(pairs, [-1, 2]);
  const [m, s] = tf.split(two, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
  return [tf.reshape(m, [-1]) as tf.Tensor1D, tf.reshape(s, [-1]) as tf.Tensor1D];
}

/** The interleaved pairs of every tensor of a record (in key order). */
export function pairsOf(grads: NamedTensors, onHost = pairsOnHost()): tf.Tensor1D {
  return scaledPairs(grads, Object.keys(grads), onHost);
}

/** ‖g‖ over every tensor together, scale-safe (see {@link normFromPairs}), as a float32 scalar. */
export function globalNorm(grads: NamedTensors): tf.Scalar {
  return tf.tidy(() => normFromPairs(pairsOf(grads)));
}

/** ‖t‖ of one tensor, scale-safe, as a float32 scalar. */
export function tensorNorm(t: tf.Tensor): tf.Scalar {
  return tf.tidy(() => normFromPairs(scaledPair(t)));
}

/** Multiplies every tensor by a scalar; returns new tensors. */
export function scaleAll(grads: NamedTensors, scale: tf.Scalar): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [k, g] of Object.entries(grads)) out[k] = tf.tidy(() => tf.mul(g, scale));
  return out;
}

/**
 * The factor that brings a norm down to `max`: max / max(norm, max), which is 1 when norm ≤ max.
 * A non-finite norm gives a non-finite factor (NaN stays visible).
 */
export function clipFactor(norm: tf.Scalar, max: tf.Scalar | number): tf.Scalar {
  return tf.tidy(() => tf.div(max, tf.maximum(norm, max)) as tf.Scalar);
}

/**
 * Norms along `axes` (kept as size-1 axes when `keepDims`), scale-safe: the scale is the largest
 * magnitude along the same axes, floored at 2⁻¹²⁶. Float32 results (∞ only past 3.4e38).
 */
export function unitNorms(t: tf.Tensor, axes: number[] | undefined, keepDims: boolean): tf.Tensor {
  return tf.tidy(() => {
    const x = f32(t);
    const m = tf.maximum(tf.max(tf.abs(x), axes, true), SCALE_FLOOR);
    const n = tf.mul(tf.sqrt(tf.sum(tf.square(tf.div(x, m)), axes, true)), m);
    if (keepDims) return n;
    return axes === undefined ? tf.reshape(n, []) : tf.squeeze(n, axes);
  });
}

/**
 * Axes reduced to get one norm per unit: a rank ≥ 2 tensor has one unit per entry of its last
 * axis (dense kernel [in, out]: an output column; conv kernel HWIO: an output channel); a vector
 * or scalar is one unit.
 */
export function unitAxes(rank: number): number[] | undefined {
  return rank >= 2 ? Array.from({ length: rank - 1 }, (_, i) => i) : undefined;
}
