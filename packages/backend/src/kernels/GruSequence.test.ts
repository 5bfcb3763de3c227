// The Node entry's host (index.ts installs it); these tests import modules below the entry.
import '../internal/node-host.js';
import { GflowError } from '@gflow/core';
import { GRU_SEQUENCE, GRU_SEQUENCE_GRAD } from '@gflow/core/internal';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../init-backend.js';
import { noLeak } from '../test-utils/derivatives.js';
import { randn, relErr } from '../test-utils/random.js';

const sig = (x: number) => 1 / (1 + Math.exp(-x));

/** Float64 GRU (gate order r, z, n; n = tanh(u_n + r ⊙ (h w_n + b_n))): h [b, T, n]. */
function refForward(
  w: Float64Array,
  bias: Float64Array,
  u: Float64Array,
  h0: Float64Array,
  b: number,
  T: number,
  n: number,
) {
  const h = new Float64Array(b * T * n);
  for (let i = 0; i < b; i++) {
    let hp = Array.from(h0.subarray(i * n, (i + 1) * n));
    for (let t = 0; t < T; t++) {
      const y: number[] = [];
      for (let q = 0; q < 3 * n; q++) {
        let s = bias[q] as number;
        for (let k = 0; k < n; k++) s += (hp[k] as number) * (w[k * 3 * n + q] as number);
        y.push(s);
      }
      const uo = (i * T + t) * 3 * n;
      const hn: number[] = [];
      for (let j = 0; j < n; j++) {
        const r = sig((u[uo + j] as number) + (y[j] as number));
        const z = sig((u[uo + n + j] as number) + (y[n + j] as number));
        const nn = Math.tanh((u[uo + 2 * n + j] as number) + r * (y[2 * n + j] as number));
        hn.push(nn + z * ((hp[j] as number) - nn));
        h[(i * T + t) * n + j] = hn[j] as number;
      }
      hp = hn;
    }
  }
  return h;
}

const f32 = (a: Float64Array, shape: number[]) => tf.tensor(Float32Array.from(a), shape, 'float32');
const rounded = (a: Float64Array) => Float64Array.from(Float32Array.from(a));

describe('wasm fused GRU kernels (GflowGruSequence, GflowGruSequenceGrad)', () => {
  beforeAll(async () => {
    const info = await initBackend({ prefer: 'wasm' });
    expect(info.fills).toContain(`kernel:${GRU_SEQUENCE}`);
    expect(info.fills).toContain(`kernel:${GRU_SEQUENCE_GRAD}`);
  });

  it.each([
    [1, 1, 1],
    [2, 4, 3],
    [3, 6, 2],
    [1, 9, 5],
  ])(
    'b=%i T=%i n=%i: h within 2e-6 of float64, du, dw, db, dh0 within 1e-5 of float64 central differences',
    (b, T, n) => {
      noLeak(() => {
        const seed = b * 100 + T * 10 + n;
        const inputs = [
          rounded(randn(3 * n * n, seed, 0.8 / Math.sqrt(n))),
          rounded(randn(3 * n, seed + 4, 0.5)),
          rounded(randn(b * T * 3 * n, seed + 1)),
          rounded(randn(b * n, seed + 2, 0.5)),
        ] as const;
        const dy = rounded(randn(b * T * n, seed + 3));
        const ref = (a: readonly Float64Array[]) =>
          refForward(
            a[0] as Float64Array,
            a[1] as Float64Array,
            a[2] as Float64Array,
            a[3] as Float64Array,
            b,
            T,
            n,
          );
        const loss = (a: readonly Float64Array[]) => ref(a).reduce((s, v, k) => s + v * (dy[k] as number), 0);
        const fd = (which: number): Float64Array => {
          const base = inputs[which] as Float64Array;
          const out = new Float64Array(base.length);
          for (let k = 0; k < base.length; k++) {
            const p = inputs.map((x) => Float64Array.from(x));
            const m = inputs.map((x) => Float64Array.from(x));
            (p[which] as Float64Array)[k] = (base[k] as number) + 1e-6;
            (m[which] as Float64Array)[k] = (base[k] as number) - 1e-6;
            out[k] = (loss(p) - loss(m)) / 2e-6;
          }
          return out;
        };
        tf.tidy(() => {
          const w = f32(inputs[0], [n, 3 * n]);
          const bias = f32(inputs[1], [3 * n]);
          const h0 = f32(inputs[3], [b, n]);
          const [h, saved] = tf.engine().runKernel(GRU_SEQUENCE, {
            u: f32(inputs[2], [b, T, 3 * n]),
            w,
            b: bias,
            h0,
          }) as tf.Tensor[];
          expect(h!.shape).toEqual([b, T, n]);
          expect(saved!.shape).toEqual([b, T, 4 * n]);
          expect(relErr(h!.dataSync(), ref(inputs))).toBeLessThan(2e-6);
          const [du, dw, db, dh0, dhTotal] = tf.engine().runKernel(GRU_SEQUENCE_GRAD, {
            dh: f32(dy, [b, T, n]),
            h: h!,
            saved: saved!,
            w,
            h0,
          }) as tf.Tensor[];
          expect(dhTotal!.shape).toEqual([T, b, n]);
          expect(relErr(dw!.dataSync(), fd(0))).toBeLessThan(1e-5);
          expect(relErr(db!.dataSync(), fd(1))).toBeLessThan(1e-5);
          expect(relErr(du!.dataSync(), fd(2))).toBeLessThan(1e-5);
          expect(relErr(dh0!.dataSync(), fd(3))).toBeLessThan(1e-5);
        });
      });
    },
  );

  it('leaves nothing on the wasm heap across 20 forward and backward calls', () => {
    const [b, T, n] = [3, 6, 5];
    const run = () =>
      tf.tidy(() => {
        const w = tf.randomNormal([n, 3 * n], 0, 0.4, 'float32', 1);
        const h0 = tf.zeros([b, n]);
        const u = tf.randomNormal([b, T, 3 * n], 0, 1, 'float32', 2);
        const [h, saved] = tf
          .engine()
          .runKernel(GRU_SEQUENCE, { u, w, b: tf.zeros([3 * n]), h0 }) as tf.Tensor[];
        tf.engine().runKernel(GRU_SEQUENCE_GRAD, {
          dh: tf.onesLike(h as tf.Tensor),
          h: h!,
          saved: saved!,
          w,
          h0,
        });
      });
    const dataIds = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    run();
    const before = { ...tf.memory(), dataIds: dataIds() };
    for (let i = 0; i < 20; i++) run();
    expect({ ...tf.memory(), dataIds: dataIds() }).toEqual(before);
  });

  it('rejects mismatched shapes and other dtypes with a GflowError', () => {
    noLeak(() => {
      const codeOf = (
        u: number[],
        w: number[],
        bias: number[],
        h0: number[],
        dtype: tf.DataType = 'float32',
      ) => {
        try {
          tf.tidy(() => {
            tf.engine().runKernel(GRU_SEQUENCE, {
              u: tf.zeros(u, dtype),
              w: tf.zeros(w),
              b: tf.zeros(bias),
              h0: tf.zeros(h0),
            });
          });
        } catch (e) {
          return e instanceof GflowError ? e.code : String(e);
        }
        return undefined;
      };
      expect(codeOf([2, 3, 6], [2, 6], [6], [2, 2])).toBeUndefined();
      expect(codeOf([2, 3, 8], [2, 6], [6], [2, 2])).toBe('SHAPE_MISMATCH');
      expect(codeOf([2, 3, 6], [2, 6], [4], [2, 2])).toBe('SHAPE_MISMATCH');
      expect(codeOf([2, 3, 6], [2, 6], [6], [3, 2])).toBe('SHAPE_MISMATCH');
      expect(codeOf([2, 3, 6], [2, 6], [6], [2, 2], 'int32')).toBe('INVALID_ARGUMENT');
    });
  });
});
