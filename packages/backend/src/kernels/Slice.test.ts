// The Node entry's host (index.ts installs it); these tests import modules below the entry.
import '../internal/node-host.js';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../init-backend.js';
import { replacedKernel } from '../register-kernel-fills.js';
import { checkDerivatives, noLeak } from '../test-utils/derivatives.js';
import { activeKernelAll, cpuKernelAll } from '../test-utils/kernel-runners.js';
import { f32, randn } from '../test-utils/random.js';

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** A random shape of rank 1–4 with a begin and size inside it (a size may be 0, or -1 = to the end). */
const sliceCase = fc
  .record({
    shape: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
    picks: fc.array(fc.tuple(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 })), {
      minLength: 4,
      maxLength: 4,
    }),
    toEnd: fc.integer({ min: -1, max: 3 }),
    empty: fc.integer({ min: -1, max: 12 }),
    dtype: fc.constantFrom('float32' as const, 'int32' as const),
    seed: fc.integer({ min: 1, max: 1_000_000 }),
  })
  .map((g) => {
    const begin = g.shape.map((d, i) => Math.floor((g.picks[i]![0] / 100) * d));
    const sz = g.shape.map((d, i) =>
      i === g.toEnd ? -1 : i === g.empty ? 0 : 1 + Math.floor((g.picks[i]![1] / 100) * (d - begin[i]!)),
    );
    return { ...g, begin, size: sz };
  });

describe('wasm Slice and Unpack fills (heap view)', () => {
  beforeAll(async () => {
    const info = await initBackend({ prefer: 'wasm' });
    expect(info.fills).toEqual(expect.arrayContaining(['kernel:Slice', 'kernel:Unpack']));
  });

  it('replace tfjs own wasm kernels', () => {
    for (const k of ['Slice', 'Unpack']) {
      expect(replacedKernel(k, 'wasm')).toBeDefined();
      expect(tf.getKernel(k, 'wasm')?.kernelFunc).not.toBe(replacedKernel(k, 'wasm')?.kernelFunc);
    }
  });

  it('Slice matches the cpu kernel exactly over random ranks 1–4, begins and sizes (float32, int32)', () => {
    noLeak(() => {
      fc.assert(
        fc.property(sliceCase, (g) => {
          const raw = randn(size(g.shape), g.seed, 10);
          const values = g.dtype === 'int32' ? Int32Array.from(raw, Math.round) : f32(raw);
          const inputs = { x: { values, shape: g.shape, dtype: g.dtype } };
          const attrs = { begin: g.begin, size: g.size };
          const [got] = activeKernelAll('Slice', inputs, attrs);
          const [want] = cpuKernelAll('Slice', inputs, attrs);
          expect(got!.shape).toEqual(want!.shape);
          expect(Array.from(got!.values)).toEqual(Array.from(want!.values));
        }),
        { seed: 20261123, numRuns: 150 },
      );
    });
  });

  it('Unpack matches the cpu kernel exactly on every axis (negative axes too) of ranks 1–4', () => {
    noLeak(() => {
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
          fc.integer({ min: 1, max: 1_000_000 }),
          fc.boolean(),
          (shape, seed, negative) => {
            const values = f32(randn(size(shape), seed));
            for (let axis = 0; axis < shape.length; axis++) {
              const a = negative ? axis - shape.length : axis;
              const got = activeKernelAll('Unpack', { value: { values, shape } }, { axis: a });
              const want = cpuKernelAll('Unpack', { value: { values, shape } }, { axis: a });
              expect(got.length).toBe(shape[axis]);
              expect(got.map((o) => o.shape)).toEqual(want.map((o) => o.shape));
              expect(got.map((o) => Array.from(o.values))).toEqual(want.map((o) => Array.from(o.values)));
            }
          },
        ),
        { seed: 20261124, numRuns: 60 },
      );
    });
  });

  it('first and second derivatives through slice and unstack match float64 finite differences', () => {
    // W = reshape(w, [3, 4, 2]).
    // Slice: f(w) = Σ C ⊙ W[0:2, 1:4, :] ⊙ W[1:3, 0:3, :] ⊙ W[1:3, 0:3, :] (cubic, overlapping slices).
    // Unstack on axis 1: u_k = W[:, k, :]; f(w) = Σ_k Σ D_k ⊙ u_k² ⊙ u_{(k+1) mod 4}.
    const S = [3, 4, 2];
    const n = 24;
    const idx = (i: number, j: number, c: number): number => i * 8 + j * 2 + c;
    const C = randn(12, 31);
    const D = randn(24, 32);
    const fSlice = (w: tf.Tensor1D): tf.Scalar => {
      const W = tf.reshape(w, S);
      const p = tf.slice(W, [0, 1, 0], [2, 3, 2]);
      const q = tf.slice(W, [1, 0, 0], [2, 3, -1]);
      return tf.sum(tf.mul(tf.tensor(f32(C), [2, 3, 2]), tf.mul(p, tf.square(q)))) as tf.Scalar;
    };
    const refSlice = (w: Float64Array): number => {
      let s = 0;
      for (let i = 0; i < 2; i++)
        for (let j = 0; j < 3; j++)
          for (let c = 0; c < 2; c++) {
            const q = w[idx(i + 1, j, c)]!;
            s += C[i * 6 + j * 2 + c]! * w[idx(i, j + 1, c)]! * q * q;
          }
      return s;
    };
    const fUnstack = (w: tf.Tensor1D): tf.Scalar => {
      const u = tf.unstack(tf.reshape(w, S), 1);
      const terms = u.map((uk, k) =>
        tf.sum(
          tf.mul(
            tf.tensor(f32(D.subarray(k * 6, k * 6 + 6)), [3, 2]),
            tf.mul(tf.square(uk), u[(k + 1) % 4]!),
          ),
        ),
      );
      return tf.addN(terms) as tf.Scalar;
    };
    const refUnstack = (w: Float64Array): number => {
      let s = 0;
      for (let k = 0; k < 4; k++)
        for (let i = 0; i < 3; i++)
          for (let c = 0; c < 2; c++) {
            const a = w[idx(i, k, c)]!;
            s += D[k * 6 + i * 2 + c]! * a * a * w[idx(i, (k + 1) % 4, c)]!;
          }
      return s;
    };
    for (const [f, ref] of [
      [fSlice, refSlice],
      [fUnstack, refUnstack],
    ] as const) {
      noLeak(() => {
        const r = checkDerivatives(f, ref, randn(n, 8, 0.8), randn(n, 9));
        expect(r.hvpNorm).toBeGreaterThan(1e-3);
        expect(r.gradErr).toBeLessThan(2e-3);
        expect(r.hvpErr).toBeLessThan(2e-3);
      });
    }
  });
});
