import { TANH_RNN_SEQUENCE, TANH_RNN_SEQUENCE_GRAD } from '@gflow/core/internal';
import * as tf from '@tensorflow/tfjs';
import { simdWasm, useSimdWasm } from '../internal/simd-wasm.js';
import { asWasmHeap } from '../internal/wasm-heap-view.js';
import { randn } from './random.js';

/** Whether gflow's wasm SIMD module runs on the current (wasm) engine's memory. */
export function simdWasmRuns(): boolean {
  return simdWasm(asWasmHeap(tf.backend())) !== undefined;
}

/**
 * The outputs of the fused tanh RNN kernels (h, then du, dw, dh0, dhTotal, then the steps' scaled
 * pairs of a `stepNorms` call, then du, dw, dh0 of a `stepGradients: false` call) for seeded inputs of
 * size (b, T, n), read back; `u` spans ±30 so that tanh's clamp and its saturated range are hit,
 * and a few entries are ±0, ±∞ and NaN when `specials`.
 */
export function fusedRnnOutputs(b: number, T: number, n: number, specials: boolean): Float32Array[] {
  return tf.tidy(() => {
    const seed = b * 1000 + T * 10 + n;
    const u = Float32Array.from(randn(b * T * n, seed, 10));
    if (specials && u.length >= 6) {
      u.set([0, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 30], u.length - 6);
    }
    const w = tf.tensor(Float32Array.from(randn(n * n, seed + 1, 1.1 / Math.sqrt(n))), [n, n]);
    const h0 = tf.tensor(Float32Array.from(randn(b * n, seed + 2, 0.5)), [b, n]);
    const dh = tf.tensor(Float32Array.from(randn(b * T * n, seed + 3)), [b, T, n]);
    const h = tf.engine().runKernel(TANH_RNN_SEQUENCE, { u: tf.tensor(u, [b, T, n]), w, h0 }) as tf.Tensor;
    const grads = tf.engine().runKernel(TANH_RNN_SEQUENCE_GRAD, { dh, h, w, h0 }) as tf.Tensor[];
    const normed = tf.engine().runKernel(TANH_RNN_SEQUENCE_GRAD, { dh, h, w, h0 }, { stepNorms: true });
    // Nobody listening to the steps: du, dw and dh0 only.
    const bare = tf.engine().runKernel(TANH_RNN_SEQUENCE_GRAD, { dh, h, w, h0 }, { stepGradients: false });
    return [h, ...grads, (normed as tf.Tensor[])[3] as tf.Tensor, ...(bare as tf.Tensor[])].map(
      (t) => t.dataSync() as Float32Array,
    );
  });
}

/**
 * The number of output values (over every output of both kernels) in which the wasm SIMD path and
 * the JavaScript path differ as float32 bit patterns (NaN equals NaN). The JavaScript path's ∂L/∂w
 * is XNNPACK's matmul, which accumulates row after row in float32 as `rnn_weight_grad` does.
 */
export function simdMismatches(b: number, T: number, n: number, specials = false): number {
  const simd = fusedRnnOutputs(b, T, n, specials);
  const was = useSimdWasm(false);
  let js: Float32Array[];
  try {
    js = fusedRnnOutputs(b, T, n, specials);
  } finally {
    useSimdWasm(was);
  }
  let bad = 0;
  simd.forEach((a, k) => {
    const want = js[k] as Float32Array;
    if (a.length !== want.length) bad += Math.max(a.length, want.length);
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], want[i])) bad++;
  });
  return bad;
}

/**
 * ∂L/∂w of the fused tanh RNN's gradient kernel for seeded inputs of size (b, T, n), read back
 * (n × n values).
 */
export function rnnWeightGradient(b: number, T: number, n: number): number[] {
  return tf.tidy(() => {
    const seed = 7 * b + 3 * T + n;
    const h = tf.tensor(Float32Array.from(randn(b * T * n, seed, 0.5)), [b, T, n]);
    const dh = tf.tensor(Float32Array.from(randn(b * T * n, seed + 1)), [b, T, n]);
    const w = tf.tensor(Float32Array.from(randn(n * n, seed + 2, 1 / Math.sqrt(n))), [n, n]);
    const h0 = tf.tensor(Float32Array.from(randn(b * n, seed + 3, 0.5)), [b, n]);
    const grads = tf.engine().runKernel(TANH_RNN_SEQUENCE_GRAD, { dh, h, w, h0 }) as tf.Tensor[];
    return Array.from((grads[1] as tf.Tensor).dataSync());
  });
}
