// The Node entry's host (index.ts installs it); these tests import modules below the entry.
import '../internal/node-host.js';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../init-backend.js';
import { useSimdWasm } from '../internal/simd-wasm.js';
import { replacedKernel } from '../register-kernel-fills.js';
import { checkDerivatives, noLeak } from '../test-utils/derivatives.js';
import { activeKernelAll, cpuKernelAll } from '../test-utils/kernel-runners.js';
import { f32, randn, relErr } from '../test-utils/random.js';
import { simdWasmRuns } from '../test-utils/simd-paths.js';

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

describe('wasm BatchMatMul fill (transpose first)', () => {
  beforeAll(async () => {
    const info = await initBackend({ prefer: 'wasm' });
    expect(info.fills).toContain('kernel:BatchMatMul');
  });

  it('replaces tfjs own wasm kernel', () => {
    expect(replacedKernel('BatchMatMul', 'wasm')).toBeDefined();
    expect(tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc).not.toBe(
      replacedKernel('BatchMatMul', 'wasm')?.kernelFunc,
    );
  });

  it('multiplies by the same data in a new shape (tfjs-wasm caches the packed b by buffer id)', () => {
    noLeak(() => {
      const w = tf.tensor2d([...f32(randn(35, 5))], [5, 7]);
      const x = tf.tensor2d([...f32(randn(30, 6))], [6, 5]);
      tf.matMul(x, w).dispose(); // tfjs packs w as a [5, 7] b operand
      const v = w.dataSync() as Float32Array;
      const sq = v.reduce((t, e) => t + e * e, 0); // Σ w², by hand
      // The same buffer as a [35, 1] b: stock tfjs-backend-wasm 4.22 aborts here.
      const dot = tf.tidy(() => tf.matMul(tf.reshape(w, [1, 35]), tf.reshape(w, [35, 1])).dataSync()[0]!);
      expect(dot).toBeCloseTo(sq, 4);
      // Transposed: [7, 5]ᵀ-shaped use of the same buffer as b.
      const xt = tf.tensor2d([...f32(randn(21, 7))], [3, 7]);
      const got = tf.tidy(() => tf.matMul(xt, tf.reshape(w, [7, 5])).arraySync() as number[][]);
      const xa = xt.arraySync();
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 5; j++) {
          let t = 0;
          for (let k = 0; k < 7; k++) t += xa[i]![k]! * v[k * 5 + j]!;
          expect(got[i]![j]).toBeCloseTo(t, 4);
        }
      tf.dispose([w, x, xt]);
    });
  });

  it('tf.fused.matMul by the same data in a new shape (the same cache by buffer id)', () => {
    noLeak(() => {
      const w = tf.tensor2d([...f32(randn(35, 15))], [5, 7]);
      const x = tf.tensor2d([...f32(randn(30, 16))], [6, 5]);
      tf.fused.matMul({ a: x, b: w, activation: 'relu' }).dispose(); // _FusedMatMul packs w as [5, 7]
      const v = w.dataSync() as Float32Array;
      const sq = v.reduce((t, e) => t + e * e, 0); // Σ w², by hand; relu(Σ w²) = Σ w²
      // Stock tfjs-backend-wasm 4.22 aborts here.
      const dot = tf.tidy(
        () =>
          tf.fused
            .matMul({ a: tf.reshape(w, [1, 35]), b: tf.reshape(w, [35, 1]), activation: 'relu' })
            .dataSync()[0]!,
      );
      expect(dot).toBeCloseTo(sq, 4);
      tf.dispose([w, x]);
    });
  });

  it('matches the cpu kernel for batch 1 and 3, every transposeA/transposeB, odd sizes and a broadcast batch', () => {
    noLeak(() => {
      fc.assert(
        fc.property(
          fc.record({
            batch: fc.constantFrom(1, 3),
            bcast: fc.constantFrom('none', 'a', 'b'),
            rank4: fc.boolean(),
            m: fc.integer({ min: 1, max: 9 }),
            k: fc.integer({ min: 1, max: 9 }),
            n: fc.integer({ min: 1, max: 9 }),
            tA: fc.boolean(),
            tB: fc.boolean(),
            seed: fc.integer({ min: 1, max: 1_000_000 }),
          }),
          (g) => {
            const lead = (one: boolean): number[] => {
              const b = one ? 1 : g.batch;
              return g.rank4 ? [2, b] : [b];
            };
            const aShape = [...lead(g.bcast === 'a'), ...(g.tA ? [g.k, g.m] : [g.m, g.k])];
            const bShape = [...lead(g.bcast === 'b'), ...(g.tB ? [g.n, g.k] : [g.k, g.n])];
            fc.pre(!(g.rank4 && g.bcast !== 'none')); // stock wasm flattens the batch axes
            const inputs = {
              a: { values: f32(randn(size(aShape), g.seed)), shape: aShape },
              b: { values: f32(randn(size(bShape), g.seed + 1)), shape: bShape },
            };
            const attrs = { transposeA: g.tA, transposeB: g.tB };
            const [got] = activeKernelAll('BatchMatMul', inputs, attrs);
            const [want] = cpuKernelAll('BatchMatMul', inputs, attrs);
            expect(got!.shape).toEqual(want!.shape);
            expect(relErr(got!.values, want!.values)).toBeLessThan(1e-5);
          },
        ),
        { seed: 20261123, numRuns: 80 },
      );
    });
  });

  it.each([
    [1, 1, 4],
    [5, 3, 12],
    [17, 2, 40],
    [70, 5, 23],
    [8192, 16, 128],
  ])(
    '2-D Aᵀ·B with B at least 4 times wider than A (K=%i, M=%i, N=%i; wasm SIMD loop, and (Bᵀ·A)ᵀ without it) matches the cpu kernel, twice, the two routes bit for bit',
    (k, m, n) => {
      expect(simdWasmRuns()).toBe(true);
      noLeak(() => {
        const inputs = {
          a: { values: f32(randn(k * m, k + m)), shape: [k, m] },
          b: { values: f32(randn(k * n, k + n)), shape: [k, n] },
        };
        const attrs = { transposeA: true, transposeB: false };
        const [want] = cpuKernelAll('BatchMatMul', inputs, attrs);
        const routes: Float32Array[] = [];
        for (const simd of [true, false]) {
          const was = useSimdWasm(simd);
          try {
            for (let r = 0; r < 2; r++) {
              const [got] = activeKernelAll('BatchMatMul', inputs, attrs);
              expect(got!.shape).toEqual([m, n]);
              expect(relErr(got!.values, want!.values)).toBeLessThan(1e-5);
              if (r === 0) routes.push(Float32Array.from(got!.values));
            }
          } finally {
            useSimdWasm(was);
          }
        }
        expect(Array.from(routes[0]!)).toEqual(Array.from(routes[1]!));
      });
    },
  );

  it('2-D A·Bᵀ over random shapes on both sides of the (B·Aᵀ)ᵀ rule matches the cpu kernel and float64 sums, twice with the same operands', () => {
    noLeak(() => {
      fc.assert(
        fc.property(
          fc.record({
            m: fc.integer({ min: 1, max: 7 }),
            n: fc.integer({ min: 1, max: 9 }),
            k: fc.integer({ min: 1, max: 48 }),
            seed: fc.integer({ min: 1, max: 1_000_000 }),
          }),
          (g) => {
            const av = f32(randn(g.m * g.n, g.seed));
            const bv = f32(randn(g.k * g.n, g.seed + 1));
            const inputs = { a: { values: av, shape: [g.m, g.n] }, b: { values: bv, shape: [g.k, g.n] } };
            const attrs = { transposeA: false, transposeB: true };
            const [want] = cpuKernelAll('BatchMatMul', inputs, attrs);
            const ref = new Float64Array(g.m * g.k);
            for (let i = 0; i < g.m; i++)
              for (let j = 0; j < g.k; j++) {
                let t = 0;
                for (let l = 0; l < g.n; l++) t += av[i * g.n + l]! * bv[j * g.n + l]!;
                ref[i * g.k + j] = t;
              }
            for (let r = 0; r < 2; r++) {
              const [got] = activeKernelAll('BatchMatMul', inputs, attrs);
              expect(got!.shape).toEqual([g.m, g.k]);
              expect(relErr(got!.values, want!.values)).toBeLessThan(1e-5);
              expect(relErr(got!.values, ref)).toBeLessThan(1e-5);
            }
          },
        ),
        { seed: 20261207, numRuns: 60 },
      );
    });
  });

  it.each([
    [1, 1, 8],
    [3, 5, 64],
    [128, 512, 512],
    [128, 10, 512],
  ])(
    '2-D A·Bᵀ (M=%i, N=%i, K=%i) with a reused B, a fresh B and B also used untransposed matches the cpu kernel',
    (m, n, k) => {
      noLeak(() => {
        const av = f32(randn(m * n, m + n));
        const bv = f32(randn(k * n, k + n));
        const a = tf.tensor2d(av, [m, n]);
        const b = tf.tensor2d(bv, [k, n]);
        const inputs = { a: { values: av, shape: [m, n] }, b: { values: bv, shape: [k, n] } };
        const [want] = cpuKernelAll('BatchMatMul', inputs, { transposeA: false, transposeB: true });
        for (let r = 0; r < 2; r++) {
          const got = tf.tidy(() => tf.matMul(a, b, false, true).dataSync());
          expect(relErr(got, want!.values)).toBeLessThan(1e-5);
          // A fresh B (a new buffer, as after an optimizer step).
          const fresh = tf.tidy(() => tf.matMul(a, tf.add(b, 0), false, true).dataSync());
          expect(relErr(fresh, want!.values)).toBeLessThan(1e-5);
          // B as the b operand of a plain product (packed by XNNPACK in its own shape) in between.
          tf.tidy(() => tf.matMul(tf.ones([2, n]), tf.transpose(b)).dataSync());
          tf.tidy(() => tf.matMul(tf.ones([2, k]), b).dataSync());
        }
        tf.dispose([a, b]);
      });
    },
  );

  it('2-D A·B over random shapes on both sides of the (Bᵀ·Aᵀ)ᵀ rule matches the cpu kernel and float64 sums: a fresh B, then the same B twice more', () => {
    noLeak(() => {
      fc.assert(
        fc.property(
          fc.record({
            m: fc.integer({ min: 1, max: 6 }),
            k: fc.integer({ min: 1, max: 40 }),
            n: fc.integer({ min: 1, max: 48 }),
            seed: fc.integer({ min: 1, max: 1_000_000 }),
          }),
          (g) => {
            const av = f32(randn(g.m * g.k, g.seed));
            const bv = f32(randn(g.k * g.n, g.seed + 1));
            const ref = new Float64Array(g.m * g.n);
            for (let i = 0; i < g.m; i++)
              for (let j = 0; j < g.n; j++) {
                let t = 0;
                for (let l = 0; l < g.k; l++) t += av[i * g.k + l]! * bv[l * g.n + j]!;
                ref[i * g.n + j] = t;
              }
            const inputs = { a: { values: av, shape: [g.m, g.k] }, b: { values: bv, shape: [g.k, g.n] } };
            const [want] = cpuKernelAll('BatchMatMul', inputs, { transposeA: false, transposeB: false });
            const a = tf.tensor2d(av, [g.m, g.k]);
            const b = tf.tensor2d(bv, [g.k, g.n]);
            // First use (b never packed), second (packed now), third (the packing reused).
            for (let r = 0; r < 3; r++) {
              const got = tf.tidy(() => tf.matMul(a, b).dataSync());
              expect(relErr(got, want!.values)).toBeLessThan(1e-5);
              expect(relErr(got, ref)).toBeLessThan(1e-5);
            }
            tf.dispose([a, b]);
          },
        ),
        { seed: 20261208, numRuns: 60 },
      );
    });
  });

  it('A·B with a fresh B at the shapes of a dense layer (M=128, K=784 and 512, N=512 and 10) matches the cpu kernel, and so does B reshaped afterwards', () => {
    noLeak(() => {
      for (const [m, k, n] of [
        [128, 784, 512],
        [128, 512, 512],
        [128, 512, 10],
        [1, 64, 64],
      ] as const) {
        const av = f32(randn(m * k, m + k));
        const bv = f32(randn(k * n, k + n));
        const [want] = cpuKernelAll(
          'BatchMatMul',
          { a: { values: av, shape: [m, k] }, b: { values: bv, shape: [k, n] } },
          { transposeA: false, transposeB: false },
        );
        const a = tf.tensor2d(av, [m, k]);
        const b = tf.tensor2d(bv, [k, n]);
        for (let r = 0; r < 3; r++) {
          const got = tf.tidy(() => tf.matMul(a, b).dataSync());
          expect(relErr(got, want!.values)).toBeLessThan(1e-5);
        }
        // The same buffer as a [k·n, 1] b (a new shape for tfjs's operator cache).
        const dot = tf.tidy(() => tf.matMul(tf.ones([1, k * n]), tf.reshape(b, [k * n, 1])).dataSync()[0]!);
        expect(dot).toBeCloseTo(
          bv.reduce((t, x) => t + x, 0),
          1,
        );
        tf.dispose([a, b]);
      }
    });
  });

  it('first and second derivatives through a 2-D A·B taken as (Bᵀ·Aᵀ)ᵀ match float64 finite differences', () => {
    // f(w) = Σ C ⊙ (A·B)², A [2, 3] and B [3, 16] taken from w (4·2·3 + 2·16 < 2·3·16).
    const M = 2;
    const K = 3;
    const N = 16;
    const C = randn(M * N, 79);
    const na = M * K;
    const f = (w: tf.Tensor1D): tf.Scalar => {
      const a = tf.reshape(tf.slice(w, 0, na), [M, K]) as tf.Tensor2D;
      const b = tf.reshape(tf.slice(w, na, K * N), [K, N]) as tf.Tensor2D;
      return tf.sum(tf.mul(tf.tensor(f32(C), [M, N]), tf.square(tf.matMul(a, b)))) as tf.Scalar;
    };
    const ref = (w: Float64Array): number => {
      let s = 0;
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) {
          let y = 0;
          for (let l = 0; l < K; l++) y += w[i * K + l]! * w[na + l * N + j]!;
          s += C[i * N + j]! * y * y;
        }
      return s;
    };
    const n = na + K * N;
    noLeak(() => {
      const r = checkDerivatives(f, ref, randn(n, 9, 0.7), randn(n, 10));
      expect(r.hvpNorm).toBeGreaterThan(1e-3);
      expect(r.gradErr).toBeLessThan(2e-3);
      expect(r.hvpErr).toBeLessThan(2e-3);
    });
  });

  it('first and second derivatives through a 2-D A·Bᵀ taken as (B·Aᵀ)ᵀ match float64 finite differences', () => {
    // f(w) = Σ C ⊙ (A·Bᵀ)², A [3, 4] and B [20, 4] taken from w (4·3·4 + 3·20 < 4·20·4).
    const M = 3;
    const N = 4;
    const K = 20;
    const C = randn(M * K, 78);
    const na = M * N;
    const f = (w: tf.Tensor1D): tf.Scalar => {
      const a = tf.reshape(tf.slice(w, 0, na), [M, N]) as tf.Tensor2D;
      const b = tf.reshape(tf.slice(w, na, K * N), [K, N]) as tf.Tensor2D;
      const y = tf.matMul(a, b, false, true);
      return tf.sum(tf.mul(tf.tensor(f32(C), [M, K]), tf.square(y))) as tf.Scalar;
    };
    const ref = (w: Float64Array): number => {
      let s = 0;
      for (let i = 0; i < M; i++)
        for (let j = 0; j < K; j++) {
          let y = 0;
          for (let l = 0; l < N; l++) y += w[i * N + l]! * w[na + j * N + l]!;
          s += C[i * K + j]! * y * y;
        }
      return s;
    };
    const n = na + K * N;
    noLeak(() => {
      const r = checkDerivatives(f, ref, randn(n, 7, 0.7), randn(n, 8));
      expect(r.hvpNorm).toBeGreaterThan(1e-3);
      expect(r.gradErr).toBeLessThan(2e-3);
      expect(r.hvpErr).toBeLessThan(2e-3);
    });
  });

  it('first and second derivatives through transposed matmuls match float64 finite differences', () => {
    // f(w) = Σ C ⊙ (op(A)·op(B))², A [2, 3, 4] and B [2, 4, 5] (as op'd shapes) taken from w.
    const B = 2;
    const M = 3;
    const K = 4;
    const N = 5;
    const C = randn(B * M * N, 77);
    for (const [tA, tB] of [
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const aShape = tA ? [B, K, M] : [B, M, K];
      const bShape = tB ? [B, N, K] : [B, K, N];
      const na = B * M * K;
      const f = (w: tf.Tensor1D): tf.Scalar => {
        const a = tf.reshape(tf.slice(w, 0, na), aShape as [number, number, number]) as tf.Tensor3D;
        const b = tf.reshape(tf.slice(w, na, B * K * N), bShape as [number, number, number]) as tf.Tensor3D;
        const y = tf.matMul(a, b, tA, tB);
        return tf.sum(tf.mul(tf.tensor(f32(C), [B, M, N]), tf.square(y))) as tf.Scalar;
      };
      const ref = (w: Float64Array): number => {
        const at = (bi: number, i: number, k: number): number =>
          tA ? w[bi * K * M + k * M + i]! : w[bi * M * K + i * K + k]!;
        const bt = (bi: number, k: number, j: number): number =>
          tB ? w[na + bi * N * K + j * K + k]! : w[na + bi * K * N + k * N + j]!;
        let s = 0;
        for (let bi = 0; bi < B; bi++)
          for (let i = 0; i < M; i++)
            for (let j = 0; j < N; j++) {
              let y = 0;
              for (let k = 0; k < K; k++) y += at(bi, i, k) * bt(bi, k, j);
              s += C[bi * M * N + i * N + j]! * y * y;
            }
        return s;
      };
      const n = na + B * K * N;
      noLeak(() => {
        const r = checkDerivatives(f, ref, randn(n, 5, 0.7), randn(n, 6));
        expect(r.hvpNorm).toBeGreaterThan(1e-3);
        expect(r.gradErr).toBeLessThan(2e-3);
        expect(r.hvpErr).toBeLessThan(2e-3);
      });
    }
  });
});
