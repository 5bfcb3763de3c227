// The Node entry's host (index.ts installs it); these tests import modules below the entry.
import '../internal/node-host.js';
import { GflowError } from '@gflow/core';
import { hostScaledPair, TANH_RNN_SEQUENCE, TANH_RNN_SEQUENCE_GRAD } from '@gflow/core/internal';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../init-backend.js';
import { simdHelper } from '../internal/simd-helper.js';
import { asWasmHeap } from '../internal/wasm-heap-view.js';
import { noLeak } from '../test-utils/derivatives.js';
import { randn, relErr } from '../test-utils/random.js';
import { simdMismatches, simdWasmRuns } from '../test-utils/simd-paths.js';
import { tanh, tanhF32, transposedPrev } from './TanhRnnSequence.js';

/** Float64 forward pass: h [b, T, n] (row-major) of h_t = tanh(u_t + h_{t−1} w). */
function refForward(u: Float64Array, w: Float64Array, h0: Float64Array, b: number, T: number, n: number) {
  const h = new Float64Array(b * T * n);
  for (let i = 0; i < b; i++) {
    let prev = h0.subarray(i * n, (i + 1) * n);
    for (let t = 0; t < T; t++) {
      const at = (i * T + t) * n;
      for (let j = 0; j < n; j++) {
        let z = u[at + j]!;
        for (let k = 0; k < n; k++) z += prev[k]! * w[k * n + j]!;
        h[at + j] = Math.tanh(z);
      }
      prev = h.subarray(at, at + n);
    }
  }
  return h;
}

/** Float64 backpropagation through time: du, dw, dh0 and the step-major total ∂L/∂h_t. */
function refBackward(
  dy: Float64Array,
  h: Float64Array,
  w: Float64Array,
  h0: Float64Array,
  b: number,
  T: number,
  n: number,
) {
  const du = new Float64Array(b * T * n);
  const dw = new Float64Array(n * n);
  const dh0 = new Float64Array(b * n);
  const dhTotal = new Float64Array(T * b * n);
  for (let i = 0; i < b; i++) {
    let g = new Float64Array(n);
    for (let t = T - 1; t >= 0; t--) {
      const at = (i * T + t) * n;
      const prev = t === 0 ? h0.subarray(i * n, (i + 1) * n) : h.subarray(at - n, at);
      const dz = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        const d = dy[at + j]! + g[j]!;
        dhTotal[(t * b + i) * n + j] = d;
        dz[j] = d * (1 - h[at + j]! ** 2);
        du[at + j] = dz[j]!;
      }
      for (let k = 0; k < n; k++)
        for (let j = 0; j < n; j++) dw[k * n + j] = dw[k * n + j]! + prev[k]! * dz[j]!;
      g = new Float64Array(n);
      for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) g[k] = g[k]! + dz[j]! * w[k * n + j]!;
    }
    dh0.set(g, i * n);
  }
  return { du, dw, dh0, dhTotal };
}

const f32 = (a: Float64Array, shape: number[]) => tf.tensor(Float32Array.from(a), shape, 'float32');
/** The kernels' inputs are float32: the references start from the same rounded values. */
const rounded = (a: Float64Array) => Float64Array.from(Float32Array.from(a));

describe('wasm fused tanh RNN kernels (GflowTanhRnnSequence, GflowTanhRnnSequenceGrad)', () => {
  beforeAll(async () => {
    const info = await initBackend({ prefer: 'wasm' });
    expect(info.fills).toContain(`kernel:${TANH_RNN_SEQUENCE}`);
    expect(info.fills).toContain(`kernel:${TANH_RNN_SEQUENCE_GRAD}`);
  });

  // (batch, steps, hidden): the edge sizes, then random ones
  const sizes: [number, number, number][] = [
    [1, 1, 1],
    [3, 1, 4],
    [1, 5, 1],
    [2, 7, 3],
    [4, 12, 9],
  ];
  for (let s = 0; s < 5; s++) {
    const r = randn(3, 900 + s);
    sizes.push([
      1 + Math.floor(Math.abs(r[0]!) * 3),
      1 + Math.floor(Math.abs(r[1]!) * 10),
      1 + Math.floor(Math.abs(r[2]!) * 12),
    ]);
  }

  it.each(sizes)(
    'b=%i T=%i n=%i: forward and every gradient within 2e-6 (relative) of float64',
    (b, T, n) => {
      noLeak(() => {
        const seed = b * 1000 + T * 10 + n;
        const u = rounded(randn(b * T * n, seed));
        const w = rounded(randn(n * n, seed + 1, 1.1 / Math.sqrt(n)));
        const h0 = rounded(randn(b * n, seed + 2, 0.5));
        const dy = rounded(randn(b * T * n, seed + 3));
        const hRef = refForward(u, w, h0, b, T, n);
        const ref = refBackward(dy, hRef, w, h0, b, T, n);
        tf.tidy(() => {
          const h = tf.engine().runKernel(TANH_RNN_SEQUENCE, {
            u: f32(u, [b, T, n]),
            w: f32(w, [n, n]),
            h0: f32(h0, [b, n]),
          }) as tf.Tensor;
          expect(h.shape).toEqual([b, T, n]);
          expect(relErr(h.dataSync(), hRef)).toBeLessThan(2e-6);
          const [du, dw, dh0, dhTotal] = tf.engine().runKernel(TANH_RNN_SEQUENCE_GRAD, {
            dh: f32(dy, [b, T, n]),
            h,
            w: f32(w, [n, n]),
            h0: f32(h0, [b, n]),
          }) as tf.Tensor[];
          expect(du!.shape).toEqual([b, T, n]);
          expect(dw!.shape).toEqual([n, n]);
          expect(dh0!.shape).toEqual([b, n]);
          expect(dhTotal!.shape).toEqual([T, b, n]);
          expect(relErr(du!.dataSync(), ref.du)).toBeLessThan(2e-6);
          expect(relErr(dw!.dataSync(), ref.dw)).toBeLessThan(2e-6);
          expect(relErr(dh0!.dataSync(), ref.dh0)).toBeLessThan(2e-6);
          expect(relErr(dhTotal!.dataSync(), ref.dhTotal)).toBeLessThan(2e-6);
          // without the step gradients: the same first three outputs
          const three = tf
            .engine()
            .runKernel(
              TANH_RNN_SEQUENCE_GRAD,
              { dh: f32(dy, [b, T, n]), h, w: f32(w, [n, n]), h0: f32(h0, [b, n]) },
              { stepGradients: false },
            ) as tf.Tensor[];
          expect(three).toHaveLength(3);
          three.forEach((t, k) => {
            expect(Array.from(t.dataSync())).toEqual(Array.from(([du, dw, dh0][k] as tf.Tensor).dataSync()));
          });
          // with stepNorms: the same first three, then each step's scaled pair of dhTotal, exactly
          const normed = tf
            .engine()
            .runKernel(
              TANH_RNN_SEQUENCE_GRAD,
              { dh: f32(dy, [b, T, n]), h, w: f32(w, [n, n]), h0: f32(h0, [b, n]) },
              { stepNorms: true },
            ) as tf.Tensor[];
          expect(normed).toHaveLength(4);
          normed.slice(0, 3).forEach((t, k) => {
            expect(Array.from(t.dataSync())).toEqual(Array.from(([du, dw, dh0][k] as tf.Tensor).dataSync()));
          });
          expect(normed[3]!.shape).toEqual([T, 2]);
          const all = dhTotal!.dataSync() as Float32Array;
          const want = new Float32Array(2 * T);
          for (let t = 0; t < T; t++)
            want.set(hostScaledPair(all.subarray(t * b * n, (t + 1) * b * n)), 2 * t);
          expect(Array.from(normed[3]!.dataSync())).toEqual(Array.from(want));
        });
      });
    },
  );

  it.each([
    [1, 1, 1],
    [2, 7, 3],
    [3, 9, 13],
    [4, 12, 16],
    [5, 37, 21],
    [2, 150, 10],
    [4, 5, 129],
  ])(
    'b=%i T=%i n=%i: the wasm SIMD loops give bit for bit what the JavaScript loops and XNNPACK give',
    (b, T, n) => {
      expect(simdWasmRuns()).toBe(true);
      noLeak(() => {
        expect(simdMismatches(b, T, n)).toBe(0);
        expect(simdMismatches(b, T, n, true)).toBe(0);
      });
    },
  );

  it('starts no helper thread on a one-thread engine (its memory is not shared, and one core was asked for)', () => {
    expect(simdHelper(asWasmHeap(tf.backend()))).toBeUndefined();
    noLeak(() => {
      // Above the helper's 2²² flops: the kernel still runs on one thread, with the same bits.
      expect(simdMismatches(16, 40, 68)).toBe(0);
    });
    expect(simdHelper(asWasmHeap(tf.backend()))).toBeUndefined();
  });

  it('tanh is within one float32 ulp (2.4e-7 relative) of Math.tanh over [−20, 20], and exact at ±0, ±∞, NaN', () => {
    let worst = 0;
    for (let i = -200000; i <= 200000; i++) {
      const v = Math.fround(i / 10000);
      const want = Math.tanh(v);
      const got = Math.fround(tanh(v));
      worst = Math.max(worst, want === 0 ? Math.abs(got) : Math.abs(got - want) / Math.abs(want));
    }
    for (const v of [1e-30, -1e-30, 3e-39, 0.0004, 7.9, 7.91, 8.99, 9, 88]) {
      const want = Math.tanh(v);
      worst = Math.max(worst, Math.abs(Math.fround(tanh(v)) - want) / Math.abs(want));
    }
    expect(worst).toBeLessThanOrEqual(2.4e-7);
    expect(Object.is(tanh(0), 0)).toBe(true);
    expect(Object.is(tanh(-0), -0)).toBe(true);
    expect([tanh(Infinity), tanh(-Infinity)]).toEqual([1, -1]);
    expect(tanh(Number.NaN)).toBeNaN();
  });

  it.each([1, 2, 8, 9, 17, 20])(
    'transposedPrev: column (i, t) of HpT is h_{t−1} (h0 at t = 0), T=%i',
    (T) => {
      const [b, n] = [3, 5];
      const H = Float32Array.from(randn(b * T * n, 40 + T));
      const h0 = Float32Array.from(randn(b * n, 80 + T));
      const HpT = new Float32Array(b * T * n).fill(Number.NaN);
      transposedPrev(H, h0, HpT, T, b, n);
      for (let i = 0; i < b; i++) {
        for (let t = 0; t < T; t++) {
          for (let j = 0; j < n; j++) {
            const want = t === 0 ? h0[i * n + j] : H[(i * T + t - 1) * n + j];
            expect(HpT[j * b * T + i * T + t]).toBe(want);
          }
        }
      }
    },
  );

  it('tanhF32 rounded to float32 is within 1.9e-7 (relative) of Math.tanh over [−20, 20], exactly ±1 from |x| = 9, and keeps ±0 and NaN', () => {
    let worst = 0;
    for (let i = -200000; i <= 200000; i++) {
      const v = Math.fround(i / 10000);
      const want = Math.tanh(v);
      const got = Math.fround(tanhF32(v));
      worst = Math.max(worst, want === 0 ? Math.abs(got) : Math.abs(got - want) / Math.abs(want));
    }
    for (const v of [1e-30, -1e-30, 0.0004, 7.9, 7.91, 8.99]) {
      const want = Math.tanh(v);
      worst = Math.max(worst, Math.abs(Math.fround(tanhF32(v)) - want) / Math.abs(want));
    }
    expect(worst).toBeLessThanOrEqual(1.9e-7);
    for (const v of [9, 9.5, 88, 1e30, Infinity]) {
      expect(Math.fround(tanhF32(v))).toBe(1);
      expect(Math.fround(tanhF32(-v))).toBe(-1);
    }
    expect(Object.is(tanhF32(0), 0)).toBe(true);
    expect(Object.is(tanhF32(-0), -0)).toBe(true);
    expect(tanhF32(Number.NaN)).toBeNaN();
  });

  it('leaves nothing on the wasm heap across 20 forward and backward calls', () => {
    const [b, T, n] = [3, 6, 5];
    const run = () =>
      tf.tidy(() => {
        const w = tf.randomNormal([n, n], 0, 0.4, 'float32', 1);
        const h0 = tf.zeros([b, n]);
        const h = tf.engine().runKernel(TANH_RNN_SEQUENCE, {
          u: tf.randomNormal([b, T, n], 0, 1, 'float32', 2),
          w,
          h0,
        }) as tf.Tensor;
        tf.engine().runKernel(TANH_RNN_SEQUENCE_GRAD, { dh: tf.onesLike(h), h, w, h0 });
      });
    // The backend's own count sees buffers made inside the kernels that the engine never saw.
    const dataIds = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    run();
    const before = { ...tf.memory(), dataIds: dataIds() };
    for (let i = 0; i < 20; i++) run();
    expect({ ...tf.memory(), dataIds: dataIds() }).toEqual(before);
  });

  it('rejects mismatched shapes and other dtypes with a GflowError (SHAPE_MISMATCH, INVALID_ARGUMENT)', () => {
    noLeak(() => {
      const codeOf = (f: () => void): string | undefined => {
        try {
          tf.tidy(f);
        } catch (e) {
          return e instanceof GflowError ? e.code : `not a GflowError: ${String(e)}`;
        }
        return undefined;
      };
      const run =
        (u: number[], w: number[], h0: number[], dtype: tf.DataType = 'float32') =>
        () => {
          tf.engine().runKernel(TANH_RNN_SEQUENCE, {
            u: tf.zeros(u, dtype),
            w: tf.zeros(w),
            h0: tf.zeros(h0),
          });
        };
      expect(codeOf(run([2, 3, 4], [4, 5], [2, 4]))).toBe('SHAPE_MISMATCH');
      expect(codeOf(run([2, 3, 4], [4, 4], [3, 4]))).toBe('SHAPE_MISMATCH');
      expect(codeOf(run([2, 4], [4, 4], [2, 4]))).toBe('SHAPE_MISMATCH');
      expect(codeOf(run([2, 0, 4], [4, 4], [2, 4]))).toBe('SHAPE_MISMATCH');
      expect(codeOf(run([2, 3, 4], [4, 4], [2, 4], 'int32'))).toBe('INVALID_ARGUMENT');
      expect(
        codeOf(() => {
          tf.engine().runKernel(TANH_RNN_SEQUENCE_GRAD, {
            dh: tf.zeros([2, 3, 5]),
            h: tf.zeros([2, 3, 4]),
            w: tf.zeros([4, 4]),
            h0: tf.zeros([2, 4]),
          });
        }),
      ).toBe('SHAPE_MISMATCH');
    });
  });
});
