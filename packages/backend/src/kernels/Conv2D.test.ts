// The Node entry's host (index.ts installs it); these tests import modules below the entry.
import '../internal/node-host.js';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../init-backend.js';
import { winogradRuns } from '../internal/winograd.js';
import { replacedKernel } from '../register-kernel-fills.js';
import { noLeak } from '../test-utils/derivatives.js';
import { f32, randInt, randn } from '../test-utils/random.js';
import { hasWinograd } from './Conv2D.js';

type Pads = [[0, 0], [number, number], [number, number], [0, 0]];

/**
 * y = x ⋆ w (3×3, stride 1) in float64 with explicit padding, and for each output the scale of
 * Winograd F(2×2, 3×3)'s rounding error: Σ|x|·|w| over the terms of all four outputs of its 2×2
 * tile (the transforms mix the tile's whole 4×4 input patch into each of them; a tile past the
 * output's edge counts its clipped outputs too). A direct sum's scale is the output's own terms.
 */
function reference(x: Float32Array, xs: number[], w: Float32Array, K: number, pads: Pads) {
  const [N, H, W, C] = xs as [number, number, number, number];
  const [, [pt, pb], [pl, pr]] = pads;
  const Ho = H + pt + pb - 2;
  const Wo = W + pl + pr - 2;
  // Over the grid rounded up to whole tiles.
  const He = 2 * Math.ceil(Ho / 2);
  const We = 2 * Math.ceil(Wo / 2);
  const ye = new Float64Array(N * He * We * K);
  const abs = new Float64Array(ye.length);
  for (let n = 0; n < N; n++)
    for (let i = 0; i < He; i++)
      for (let j = 0; j < We; j++)
        for (let a = 0; a < 3; a++)
          for (let b = 0; b < 3; b++) {
            const r = i + a - pt;
            const c = j + b - pl;
            if (r < 0 || r >= H || c < 0 || c >= W) continue;
            for (let ci = 0; ci < C; ci++) {
              const xv = x[((n * H + r) * W + c) * C + ci]!;
              for (let k = 0; k < K; k++) {
                const p = xv * w[((a * 3 + b) * C + ci) * K + k]!;
                const o = ((n * He + i) * We + j) * K + k;
                ye[o]! += p;
                abs[o]! += Math.abs(p);
              }
            }
          }
  const y = new Float64Array(N * Ho * Wo * K);
  const own = new Float64Array(y.length);
  const tile = new Float64Array(y.length);
  for (let n = 0; n < N; n++)
    for (let i = 0; i < Ho; i++)
      for (let j = 0; j < Wo; j++)
        for (let k = 0; k < K; k++) {
          const o = ((n * Ho + i) * Wo + j) * K + k;
          const e = (i0: number, j0: number) => ((n * He + i0) * We + j0) * K + k;
          y[o] = ye[e(i, j)]!;
          own[o] = abs[e(i, j)]!;
          const [ti, tj] = [i & ~1, j & ~1];
          tile[o] = abs[e(ti, tj)]! + abs[e(ti, tj + 1)]! + abs[e(ti + 1, tj)]! + abs[e(ti + 1, tj + 1)]!;
        }
  return { y, own, tile, shape: [N, Ho, Wo, K] };
}

/** The largest |got − want| / Σ|x|·|w| (0/0 counts as 0). */
function worst(got: ArrayLike<number>, want: Float64Array, abs: Float64Array): number {
  let e = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    e = Math.max(e, d === 0 ? 0 : d / abs[i]!);
  }
  return e;
}

describe('wasm Conv2D by Winograd F(2×2, 3×3)', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm' });
  });

  it('runs in Node (the full SIMD module compiles)', () => {
    expect(hasWinograd(tf.backend())).toBe(true);
  });

  it('agrees with float64 sums within 2⁻²¹·Σ|x|·|w| over each output’s 2×2 tile, over random geometries and paddings', () => {
    noLeak(() => {
      for (let trial = 0; trial < 24; trial++) {
        const N = randInt(1, 3, 100 + trial);
        const H = randInt(1, 11, 200 + trial);
        const W = randInt(1, 11, 300 + trial);
        const C = 4 * randInt(1, 5, 400 + trial);
        const K = 4 * randInt(1, 5, 500 + trial);
        const mode = trial % 3;
        const pads: Pads =
          mode === 0
            ? [
                [0, 0],
                [1, 1],
                [1, 1],
                [0, 0],
              ] // 'same'
            : mode === 1
              ? [
                  [0, 0],
                  [0, 0],
                  [0, 0],
                  [0, 0],
                ] // 'valid'
              : [
                  [0, 0],
                  [randInt(0, 2, 600 + trial), randInt(0, 2, 700 + trial)],
                  [randInt(0, 2, 800 + trial), randInt(0, 2, 900 + trial)],
                  [0, 0],
                ];
        const Ho = H + pads[1][0] + pads[1][1] - 2;
        const Wo = W + pads[2][0] + pads[2][1] - 2;
        if (Ho < 1 || Wo < 1) continue;
        const xs = [N, H, W, C];
        const xv = f32(randn(N * H * W * C, 1000 + trial));
        const wv = f32(randn(9 * C * K, 2000 + trial));
        const before = winogradRuns().conv;
        const got = tf.tidy(() => {
          const x = tf.tensor4d(xv, xs as [number, number, number, number]);
          const w = tf.tensor4d(wv, [3, 3, C, K]);
          const pad = mode === 0 ? 'same' : mode === 1 ? 'valid' : pads;
          return tf.conv2d(x, w, 1, pad).dataSync();
        });
        expect(winogradRuns().conv).toBe(before + 1);
        const want = reference(xv, xs, wv, K, pads);
        expect(got.length).toBe(want.y.length);
        expect(worst(got, want.y, want.tile)).toBeLessThan(2 ** -21);
      }
    });
  });

  it('is as accurate as the direct convolution it replaces at the conv workloads’ size, scaled by 1e-30 and 1e30', () => {
    noLeak(() => {
      const xs = [2, 12, 12, 16];
      const K = 16;
      for (const scale of [1, 1e-30, 1e30]) {
        const xv = f32(randn(2 * 12 * 12 * 16, 7, scale));
        const wv = f32(randn(9 * 16 * K, 8));
        const pads: Pads = [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ];
        const [ours, direct] = tf.tidy(() => {
          const x = tf.tensor4d(xv, xs as [number, number, number, number]);
          const w = tf.tensor4d(wv, [3, 3, 16, K]);
          const stock = replacedKernel('Conv2D', 'wasm')!;
          const d = stock.kernelFunc({
            inputs: { x, filter: w },
            backend: tf.backend(),
            attrs: { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1] },
          }) as tf.TensorInfo;
          const dt = tf.engine().makeTensorFromTensorInfo(d);
          return [tf.conv2d(x, w, 1, 'same').dataSync(), dt.dataSync()];
        });
        const want = reference(xv, xs, wv, K, pads);
        // Each within a few roundings of its own scale (per tile, per output); at this size,
        // where the tile's outputs are alike, within 4 times the direct sum's worst.
        const eOurs = worst(ours, want.y, want.tile);
        const eDirect = worst(direct, want.y, want.own);
        expect(eOurs).toBeLessThan(2 ** -21);
        expect(eDirect).toBeLessThan(2 ** -21);
        expect(worst(ours, want.y, want.own)).toBeLessThan(4 * Math.max(eDirect, 2 ** -24));
      }
    });
  });

  it('redoes a convolution with an infinity directly: ±∞ where a direct sum gives it, not NaN', () => {
    noLeak(() => {
      const xv = new Float32Array(1 * 6 * 6 * 4).fill(1);
      xv[(2 * 6 + 3) * 4 + 1] = Infinity;
      const wv = new Float32Array(9 * 4 * 4).fill(0.5);
      const before = winogradRuns().conv;
      const y = tf.tidy(() =>
        tf.conv2d(tf.tensor4d(xv, [1, 6, 6, 4]), tf.tensor4d(wv, [3, 3, 4, 4]), 1, 'same').dataSync(),
      );
      expect(winogradRuns().conv).toBe(before); // redone directly
      // Outputs whose 3×3 window holds the infinity are +∞ (every weight positive), the rest 4·Σ.
      for (let i = 0; i < 6; i++)
        for (let j = 0; j < 6; j++) {
          const v = y[(i * 6 + j) * 4]!;
          if (Math.abs(i - 2) <= 1 && Math.abs(j - 3) <= 1) expect(v).toBe(Infinity);
          else expect(Number.isFinite(v)).toBe(true);
        }
    });
  });

  it('leaves other convolutions to tfjs: 5×5 filters, stride 2, dilation 2, 3 channels', () => {
    noLeak(() => {
      const before = winogradRuns().conv;
      tf.tidy(() => {
        const x = tf.randomNormal([1, 9, 9, 8]) as tf.Tensor4D;
        tf.conv2d(x, tf.randomNormal([5, 5, 8, 4]) as tf.Tensor4D, 1, 'same').dataSync();
        tf.conv2d(x, tf.randomNormal([3, 3, 8, 4]) as tf.Tensor4D, 2, 'same').dataSync();
        tf.conv2d(x, tf.randomNormal([3, 3, 8, 4]) as tf.Tensor4D, 1, 'same', 'NHWC', 2).dataSync();
        tf.conv2d(
          tf.randomNormal([1, 9, 9, 3]) as tf.Tensor4D,
          tf.randomNormal([3, 3, 3, 4]) as tf.Tensor4D,
          1,
          'same',
        ).dataSync();
      });
      expect(winogradRuns().conv).toBe(before);
    });
  });

  it('carries the input gradient of a stride-1 3×3 convolution (dy ⋆ flip(W)ᵀ) within 2⁻²¹·Σ|dy|·|w| over each tile', () => {
    noLeak(() => {
      const [N, H, W, C, K] = [2, 7, 9, 8, 12];
      const xv = f32(randn(N * H * W * C, 11));
      const wv = f32(randn(9 * C * K, 12));
      const dyv = f32(randn(N * H * W * K, 13));
      const before = winogradRuns().conv;
      const dx = tf.tidy(() => {
        const x = tf.tensor4d(xv, [N, H, W, C]);
        const w = tf.tensor4d(wv, [3, 3, C, K]);
        const dy = tf.tensor4d(dyv, [N, H, W, K]);
        return tf
          .grad((t: tf.Tensor) => tf.sum(tf.mul(dy, tf.conv2d(t as tf.Tensor4D, w, 1, 'same'))))(x)
          .dataSync();
      });
      expect(winogradRuns().conv).toBe(before + 2); // the forward convolution and the input gradient's
      // dx[n, r, c, ci] = Σ dy[n, r − a + 1, c − b + 1, k] · w[a, b, ci, k]: a convolution of dy with
      // w flipped in space and its channel axes swapped, padded by 1.
      const wf = new Float32Array(9 * K * C);
      for (let a = 0; a < 3; a++)
        for (let b = 0; b < 3; b++)
          for (let ci = 0; ci < C; ci++)
            for (let k = 0; k < K; k++)
              wf[((a * 3 + b) * K + k) * C + ci] = wv[(((2 - a) * 3 + (2 - b)) * C + ci) * K + k]!;
      const want = reference(dyv, [N, H, W, K], wf, C, [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0],
      ]);
      expect(worst(dx, want.y, want.tile)).toBeLessThan(2 ** -21);
    });
  });

  it('computes the filter gradient by Winograd within 2⁻²¹·Σ over the nine taps of Σ|x|·|dy| over random geometries and paddings', () => {
    noLeak(() => {
      for (let trial = 0; trial < 12; trial++) {
        const N = randInt(1, 3, 3100 + trial);
        const H = randInt(2, 10, 3200 + trial);
        const W = randInt(2, 10, 3300 + trial);
        const C = 4 * randInt(1, 4, 3400 + trial);
        const K = 4 * randInt(1, 4, 3500 + trial);
        const pads: Pads =
          trial % 2 === 0
            ? [
                [0, 0],
                [1, 1],
                [1, 1],
                [0, 0],
              ]
            : [
                [0, 0],
                [randInt(0, 2, 3600 + trial), randInt(0, 2, 3700 + trial)],
                [randInt(0, 2, 3800 + trial), randInt(0, 2, 3900 + trial)],
                [0, 0],
              ];
        const [, [pt, pb], [pl, pr]] = pads;
        const Ho = H + pt + pb - 2;
        const Wo = W + pl + pr - 2;
        if (Ho < 1 || Wo < 1) continue;
        const xv = f32(randn(N * H * W * C, 4000 + trial));
        const wv = f32(randn(9 * C * K, 4100 + trial));
        const dyv = f32(randn(N * Ho * Wo * K, 4200 + trial));
        const before = winogradRuns().filterGradient;
        const dw = tf.tidy(() => {
          const x = tf.tensor4d(xv, [N, H, W, C]);
          const w = tf.tensor4d(wv, [3, 3, C, K]);
          const dy = tf.tensor4d(dyv, [N, Ho, Wo, K]);
          const pad = trial % 2 === 0 ? 'same' : pads;
          return tf
            .grad((t: tf.Tensor) => tf.sum(tf.mul(dy, tf.conv2d(x, t as tf.Tensor4D, 1, pad))))(w)
            .dataSync();
        });
        expect(winogradRuns().filterGradient).toBe(before + 1);
        // dW[a, b, c, k] = Σ x[n, i + a − pt, j + b − pl, c]·dy[n, i, j, k] in float64, and for each
        // (c, k) the scale Σ over the nine taps of Σ|x|·|dy| (every tile mixes all nine).
        const want = new Float64Array(9 * C * K);
        const abs = new Float64Array(C * K);
        for (let n = 0; n < N; n++)
          for (let i = 0; i < Ho; i++)
            for (let j = 0; j < Wo; j++)
              for (let a = 0; a < 3; a++)
                for (let b = 0; b < 3; b++) {
                  const r = i + a - pt;
                  const c0 = j + b - pl;
                  if (r < 0 || r >= H || c0 < 0 || c0 >= W) continue;
                  for (let c = 0; c < C; c++)
                    for (let k = 0; k < K; k++) {
                      const v = xv[((n * H + r) * W + c0) * C + c]! * dyv[((n * Ho + i) * Wo + j) * K + k]!;
                      want[((a * 3 + b) * C + c) * K + k]! += v;
                      abs[c * K + k]! += Math.abs(v);
                    }
                }
        let e = 0;
        for (let q = 0; q < want.length; q++) {
          const d = Math.abs(dw[q]! - want[q]!);
          if (d > 0) e = Math.max(e, d / abs[q % (C * K)]!);
        }
        expect(e).toBeLessThan(2 ** -21);
      }
    });
  });

  it('redoes a filter gradient with an infinity in x by the direct tap matmuls', () => {
    noLeak(() => {
      const xv = new Float32Array(1 * 5 * 5 * 4).fill(1);
      xv[(2 * 5 + 2) * 4] = Infinity; // channel 0 only
      const before = winogradRuns().filterGradient;
      const dw = tf.tidy(() => {
        const x = tf.tensor4d(xv, [1, 5, 5, 4]);
        return tf
          .grad((t: tf.Tensor) => tf.sum(tf.conv2d(x, t as tf.Tensor4D, 1, 'same')))(tf.ones([3, 3, 4, 4]))
          .dataSync();
      });
      expect(winogradRuns().filterGradient).toBe(before);
      // dy = 1: dW[a, b, c, k] = Σ of x over the outputs' taps: +∞ for channel 0 (the infinity is
      // in every tap's window), 5·5 minus the padded rows and columns for the others.
      for (let a = 0; a < 3; a++)
        for (let b = 0; b < 3; b++)
          for (let c = 0; c < 4; c++)
            for (let k = 0; k < 4; k++) {
              const v = dw[((a * 3 + b) * 4 + c) * 4 + k]!;
              const rows = a === 1 ? 5 : 4;
              const cols = b === 1 ? 5 : 4;
              expect(v).toBe(c === 0 ? Infinity : rows * cols);
            }
    });
  });
});
