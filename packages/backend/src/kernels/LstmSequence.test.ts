// The Node entry's host (index.ts installs it); these tests import modules below the entry.
import '../internal/node-host.js';
import { GflowError } from '@gflow/core';
import { LSTM_SEQUENCE, LSTM_SEQUENCE_GRAD } from '@gflow/core/internal';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../init-backend.js';
import { noLeak } from '../test-utils/derivatives.js';
import { randn, relErr } from '../test-utils/random.js';

const sig = (x: number) => 1 / (1 + Math.exp(-x));

/** Float64 LSTM (gate order i, f, g, o; c₀ = 0): h [b, T, n] from the packed [w | u | h0]. */
function refForward(w: Float64Array, u: Float64Array, h0: Float64Array, b: number, T: number, n: number) {
  const h = new Float64Array(b * T * n);
  for (let i = 0; i < b; i++) {
    let hp = Array.from(h0.subarray(i * n, (i + 1) * n));
    let cp = new Array<number>(n).fill(0);
    for (let t = 0; t < T; t++) {
      const z = new Array<number>(4 * n).fill(0);
      for (let q = 0; q < 4 * n; q++) {
        let s = u[(i * T + t) * 4 * n + q] as number;
        for (let k = 0; k < n; k++) s += (hp[k] as number) * (w[k * 4 * n + q] as number);
        z[q] = s;
      }
      const hn: number[] = [];
      const cn: number[] = [];
      for (let j = 0; j < n; j++) {
        const c =
          sig(z[n + j] as number) * (cp[j] as number) +
          sig(z[j] as number) * Math.tanh(z[2 * n + j] as number);
        cn.push(c);
        hn.push(sig(z[3 * n + j] as number) * Math.tanh(c));
        h[(i * T + t) * n + j] = hn[j] as number;
      }
      hp = hn;
      cp = cn;
    }
  }
  return h;
}

const f32 = (a: Float64Array, shape: number[]) => tf.tensor(Float32Array.from(a), shape, 'float32');
const rounded = (a: Float64Array) => Float64Array.from(Float32Array.from(a));

describe('wasm fused LSTM kernels (GflowLstmSequence, GflowLstmSequenceGrad)', () => {
  beforeAll(async () => {
    const info = await initBackend({ prefer: 'wasm' });
    expect(info.fills).toContain(`kernel:${LSTM_SEQUENCE}`);
    expect(info.fills).toContain(`kernel:${LSTM_SEQUENCE_GRAD}`);
  });

  it.each([
    [1, 1, 1],
    [2, 4, 3],
    [3, 6, 2],
    [1, 9, 5],
  ])(
    'b=%i T=%i n=%i: h within 2e-6 of float64, du, dw, dh0 within 1e-5 of float64 central differences',
    (b, T, n) => {
      noLeak(() => {
        const seed = b * 100 + T * 10 + n;
        const w = rounded(randn(4 * n * n, seed, 0.8 / Math.sqrt(n)));
        const u = rounded(randn(b * T * 4 * n, seed + 1));
        const h0 = rounded(randn(b * n, seed + 2, 0.5));
        const dy = rounded(randn(b * T * n, seed + 3));
        const hRef = refForward(w, u, h0, b, T, n);
        // L = Σ dy ⊙ h; its float64 gradient by central differences, entry by entry
        const loss = (ww: Float64Array, uu: Float64Array, hh: Float64Array) =>
          refForward(ww, uu, hh, b, T, n).reduce((s, v, k) => s + v * (dy[k] as number), 0);
        const fd = (which: 0 | 1 | 2): Float64Array => {
          const base = [w, u, h0][which] as Float64Array;
          const out = new Float64Array(base.length);
          for (let k = 0; k < base.length; k++) {
            const p = Float64Array.from(base);
            const m = Float64Array.from(base);
            p[k] = (p[k] as number) + 1e-6;
            m[k] = (m[k] as number) - 1e-6;
            const args = (v: Float64Array) =>
              [which === 0 ? v : w, which === 1 ? v : u, which === 2 ? v : h0] as const;
            out[k] = (loss(...args(p)) - loss(...args(m))) / 2e-6;
          }
          return out;
        };
        tf.tidy(() => {
          const [h, gates, c] = tf.engine().runKernel(LSTM_SEQUENCE, {
            u: f32(u, [b, T, 4 * n]),
            w: f32(w, [n, 4 * n]),
            h0: f32(h0, [b, n]),
          }) as tf.Tensor[];
          expect(h!.shape).toEqual([b, T, n]);
          expect(gates!.shape).toEqual([b, T, 4 * n]);
          expect(c!.shape).toEqual([b, T, n]);
          expect(relErr(h!.dataSync(), hRef)).toBeLessThan(2e-6);
          const [du, dw, dh0, dhTotal] = tf.engine().runKernel(LSTM_SEQUENCE_GRAD, {
            dh: f32(dy, [b, T, n]),
            h: h!,
            gates: gates!,
            c: c!,
            w: f32(w, [n, 4 * n]),
            h0: f32(h0, [b, n]),
          }) as tf.Tensor[];
          expect(dhTotal!.shape).toEqual([T, b, n]);
          expect(relErr(dw!.dataSync(), fd(0))).toBeLessThan(1e-5);
          expect(relErr(du!.dataSync(), fd(1))).toBeLessThan(1e-5);
          expect(relErr(dh0!.dataSync(), fd(2))).toBeLessThan(1e-5);
        });
      });
    },
  );

  it('leaves nothing on the wasm heap across 20 forward and backward calls', () => {
    const [b, T, n] = [3, 6, 5];
    const run = () =>
      tf.tidy(() => {
        const w = tf.randomNormal([n, 4 * n], 0, 0.4, 'float32', 1);
        const h0 = tf.zeros([b, n]);
        const u = tf.randomNormal([b, T, 4 * n], 0, 1, 'float32', 2);
        const [h, gates, c] = tf.engine().runKernel(LSTM_SEQUENCE, { u, w, h0 }) as tf.Tensor[];
        tf.engine().runKernel(LSTM_SEQUENCE_GRAD, {
          dh: tf.onesLike(h as tf.Tensor),
          h: h!,
          gates: gates!,
          c: c!,
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
        h0: number[],
        dtype: tf.DataType = 'float32',
      ): string | undefined => {
        try {
          tf.tidy(() => {
            tf.engine().runKernel(LSTM_SEQUENCE, { u: tf.zeros(u, dtype), w: tf.zeros(w), h0: tf.zeros(h0) });
          });
        } catch (e) {
          return e instanceof GflowError ? e.code : String(e);
        }
        return undefined;
      };
      expect(codeOf([2, 3, 8], [2, 8], [2, 2])).toBeUndefined();
      expect(codeOf([2, 3, 6], [2, 8], [2, 2])).toBe('SHAPE_MISMATCH');
      expect(codeOf([2, 3, 8], [2, 6], [2, 2])).toBe('SHAPE_MISMATCH');
      expect(codeOf([2, 0, 8], [2, 8], [2, 2])).toBe('SHAPE_MISMATCH');
      expect(codeOf([2, 3, 8], [2, 8], [2, 2], 'int32')).toBe('INVALID_ARGUMENT');
    });
  });
});
