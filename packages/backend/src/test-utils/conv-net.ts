/** The 30-block conv net of `conv-net.test.ts`, shared with probes. */
import * as tf from '@tensorflow/tfjs';
import { f32, randn } from './random.js';

export const DEPTH = 30;
export const CH = 64;
/** The input shape used by the test: batch 2, 4×4, 64 channels. */
export const XS: readonly [number, number, number, number] = [2, 4, 4, CH];
const EPS = 1e-3;

export interface Arrays {
  readonly xs: readonly [number, number, number, number];
  readonly x: Float32Array;
  readonly c: Float32Array;
  readonly params: { kernel: Float32Array; gamma: Float32Array; beta: Float32Array }[];
  readonly v: Float32Array[];
}

export function makeArrays(seed = 0, xs: readonly [number, number, number, number] = XS): Arrays {
  const SIZE = xs.reduce((a, b) => a * b, 1);
  const he = Math.sqrt(2 / (9 * CH));
  const params = Array.from({ length: DEPTH }, (_, i) => ({
    kernel: f32(randn(9 * CH * CH, 1000 + i, he)),
    gamma: f32(randn(CH, 2000 + i, 0.1).map((g) => 1 + g)),
    beta: f32(randn(CH, 3000 + i, 0.1)),
  }));
  const v = params.flatMap((p, i) => [
    f32(randn(p.kernel.length, 4000 + i)),
    f32(randn(CH, 5000 + i)),
    f32(randn(CH, 6000 + i)),
  ]);
  return {
    xs,
    x: f32(randn(SIZE, 7 + seed)),
    c: f32(randn(SIZE, 8 + seed)),
    params,
    v,
  };
}

export interface Result {
  readonly loss: number;
  readonly output: Float32Array;
  readonly grads: Float32Array[];
  readonly hvp: Float32Array[];
}

/**
 * Forward, gradient and Hessian-vector product of loss = Σ c ⊙ net(x). `residual` adds each block's
 * input to its batch-norm output before the ReLU (h ← ReLU(BN(conv(h))) + h would change the
 * scale; this is the pre-ReLU sum of WORKLOADS.md's residual block, with one conv per block).
 */
export function run(a: Arrays, depth = DEPTH, residual = false): Result {
  // The result leaves the tidy through a closure: a returned typed array would be walked by
  // tf.tidy element by element, looking for tensors.
  let result: Result | undefined;
  tf.tidy(() => {
    const x = tf.tensor4d(a.x, [...a.xs]);
    const c = tf.tensor4d(a.c, [...a.xs]);
    const ps: tf.Tensor[] = a.params
      .slice(0, depth)
      .flatMap((p) => [tf.tensor4d(p.kernel, [3, 3, CH, CH]), tf.tensor1d(p.gamma), tf.tensor1d(p.beta)]);
    const vs = a.v.slice(0, 3 * depth).map((v, i) => tf.tensor(v, ps[i]!.shape));
    const forward = (...args: tf.Tensor[]): tf.Tensor4D => {
      let h: tf.Tensor4D = x;
      for (let b = 0; b < depth; b++) {
        const [k, gamma, beta] = args.slice(3 * b, 3 * b + 3) as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
        const y = tf.conv2d(h, k, 1, 'same');
        const { mean, variance } = tf.moments(y, [0, 1, 2]);
        const n = tf.batchNorm(y, mean, variance, beta, gamma, EPS);
        h = tf.relu(residual ? tf.add(n, h) : n) as tf.Tensor4D;
      }
      return h;
    };
    const loss = (...args: tf.Tensor[]): tf.Scalar => tf.sum(tf.mul(forward(...args), c));
    const gradFn = tf.grads(loss);
    const out = forward(...ps);
    const value = tf.sum(tf.mul(out, c)).dataSync()[0]!;
    const output = out.dataSync() as Float32Array;
    const grads = gradFn(ps).map((g) => g.dataSync() as Float32Array);
    const hvp = tf
      .grads(
        (...args: tf.Tensor[]) => tf.addN(gradFn(args).map((g, i) => tf.sum(tf.mul(g, vs[i]!)))) as tf.Scalar,
      )(ps)
      .map((g) => g.dataSync() as Float32Array);
    result = { loss: value, output, grads, hvp };
  });
  return result!;
}

export const concat = (xs: Float32Array[]): Float32Array => {
  const out = new Float32Array(xs.reduce((n, x) => n + x.length, 0));
  let at = 0;
  for (const x of xs) {
    out.set(x, at);
    at += x.length;
  }
  return out;
};
