// The wasm engine can be started once per process, so its threaded start has this file (vitest
// runs each file in its own fork).
// The Node entry's host (index.ts installs it); these tests import modules below the entry.
import './internal/node-host.js';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BackendInfo, initBackend } from './init-backend.js';
import { simdHelper, useSimdHelper } from './internal/simd-helper.js';
import { simdWasm } from './internal/simd-wasm.js';
import { asWasmHeap } from './internal/wasm-heap-view.js';
import { winogradRuns } from './internal/winograd.js';
import { rnnRowRuns } from './kernels/TanhRnnSequence.js';
import { noLeak } from './test-utils/derivatives.js';
import { activeKernelAll, cpuKernelAll } from './test-utils/kernel-runners.js';
import { f32, randn, relErr } from './test-utils/random.js';
import { matmul } from './test-utils/reference.js';
import { fusedRnnOutputs, rnnWeightGradient, simdMismatches, simdWasmRuns } from './test-utils/simd-paths.js';

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

describe('initBackend({ threads: 2 })', () => {
  let info: BackendInfo;
  beforeAll(async () => {
    info = await initBackend({ prefer: 'wasm', threads: 2 });
  });

  it('starts the threaded wasm build and reports the pool size the engine uses', () => {
    expect(info.name).toBe('wasm');
    expect(info.threads).toBe(2);
    expect(info.tried.at(-1)?.reason).toMatch(/2 threads asked/);
  });

  it('conv2d, its gradients and matmuls (plain and transposed) agree with the cpu kernels to 1e-5', () => {
    noLeak(() => {
      const xs = [2, 16, 16, 32];
      const ws = [3, 3, 32, 32];
      const x = { values: f32(randn(size(xs), 1)), shape: xs };
      const filter = { values: f32(randn(size(ws), 2)), shape: ws };
      const conv = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1 };
      const dy = { values: f32(randn(size(xs), 3)), shape: xs };
      for (const [name, inputs, attrs] of [
        ['Conv2D', { x, filter }, conv],
        ['Conv2DBackpropInput', { dy, filter }, { ...conv, inputShape: xs }],
        ['Conv2DBackpropFilter', { x, dy }, { ...conv, filterShape: ws }],
        [
          'BatchMatMul',
          {
            a: { values: f32(randn(3 * 96 * 130, 4)), shape: [3, 96, 130] },
            b: { values: f32(randn(3 * 130 * 70, 5)), shape: [3, 130, 70] },
          },
          { transposeA: false, transposeB: false },
        ],
        [
          'BatchMatMul',
          {
            a: { values: f32(randn(3 * 130 * 96, 6)), shape: [3, 130, 96] },
            b: { values: f32(randn(3 * 70 * 130, 7)), shape: [3, 70, 130] },
          },
          { transposeA: true, transposeB: true },
        ],
      ] as const) {
        const [got] = activeKernelAll(name, inputs as never, attrs);
        const [want] = cpuKernelAll(name, inputs as never, attrs);
        expect(got!.shape).toEqual(want!.shape);
        expect(relErr(got!.values, want!.values)).toBeLessThan(1e-5);
      }
      expect(tf.getBackend()).toBe('wasm');
    });
  });

  it("runs gflow's wasm SIMD module on the shared heap: the fused tanh RNN equals its JavaScript loops bit for bit", () => {
    expect(simdWasmRuns()).toBe(true);
    noLeak(() => {
      expect(simdMismatches(3, 9, 13, true)).toBe(0);
      expect(simdMismatches(4, 12, 16)).toBe(0);
    });
  });

  it("shares the fused RNN's ∂L/∂w with gflow's helper thread, ready once initBackend resolves: the same bits as one thread and as the JavaScript loops", () => {
    const heap = asWasmHeap(tf.backend());
    // initBackend started the worker and waited until it said it was ready.
    const helper = simdHelper(heap);
    expect(helper).toBeDefined();
    noLeak(() => {
      // 2·b·T·n² above the helper's 2²² flops. n = 68: chunks of 20 rows (5 tiles of 4), the last
      // one 8 rows, each with 4 columns past the 8-wide tiles. n = 13: chunks of 4, the last a
      // single row (the scalar loop).
      expect(simdMismatches(16, 40, 68)).toBe(0);
      expect(simdMismatches(48, 260, 13, true)).toBe(0);
    });
    // One thread against two, on the same inputs, until the helper has taken part (it takes
    // chunks only once awake; a busy machine can keep it asleep through a few calls).
    const was = useSimdHelper(false);
    let one: number[];
    try {
      one = rnnWeightGradient(24, 50, 72);
    } finally {
      useSimdHelper(was);
    }
    const before = helper?.helped ?? 0;
    for (let i = 0; i < 100 && (helper?.helped ?? 0) === before; i++) {
      const two = rnnWeightGradient(24, 50, 72);
      expect(two.length).toBe(72 * 72);
      expect(two.every((v, k) => Object.is(v, one[k]))).toBe(true);
    }
    expect(helper?.helped ?? 0).toBeGreaterThan(before);
  });

  it("runs the fused RNN's recurrences on both threads, the batch's rows split between them: the same bits as one thread (XNNPACK's product at every step) and as the JavaScript loops", () => {
    const heap = asWasmHeap(tf.backend());
    const helper = simdHelper(heap);
    expect(helper).toBeDefined();
    // b = 18: four chunks of 4 rows and one of 2 (the matmul's scalar rows); b = 20: five chunks
    // of 4. n = 68 (4-wide loops and the steps' pairs in the module) and n = 13 (the scalar
    // tails, the pairs taken by the kernel); 2·b·T·n² above the helper's 2²². ±0, ±∞ and NaN among
    // the inputs.
    for (const [b, T, n] of [
      [18, 33, 68],
      [20, 630, 13],
    ] as const) {
      noLeak(() => {
        const was = useSimdHelper(false);
        let one: Float32Array[];
        try {
          one = fusedRnnOutputs(b, T, n, true);
        } finally {
          useSimdHelper(was);
        }
        const before = rnnRowRuns();
        const helped = helper?.helped ?? 0;
        for (let i = 0; i < 100 && (i < 2 || (helper?.helped ?? 0) === helped); i++) {
          const two = fusedRnnOutputs(b, T, n, true);
          expect(two.length).toBe(one.length);
          two.forEach((out, k) => {
            const want = one[k] as Float32Array;
            expect(out.length).toBe(want.length);
            expect(out.every((v, j) => Object.is(v, want[j]))).toBe(true);
          });
        }
        // Both kernels took the two-thread path (the gradient kernel three times a call: step
        // gradients, stepNorms, neither), and the helper took chunks.
        expect(rnnRowRuns().forward).toBeGreaterThanOrEqual(before.forward + 2);
        expect(rnnRowRuns().backward).toBeGreaterThanOrEqual(before.backward + 6);
        expect(helper?.helped ?? 0).toBeGreaterThan(helped);
        expect(simdMismatches(b, T, n, true)).toBe(0);
      });
    }
  });

  it('shares a narrow weight gradient Xᵀ·dY with the helper thread: the same bits as one thread, within 1e-6 of float64', () => {
    const heap = asWasmHeap(tf.backend());
    const helper = simdHelper(heap);
    expect(helper).toBeDefined();
    // X [K, M] with M = 13 ≤ 32 (gflow's module reads it in place): chunks of 4 rows, the last a
    // single row (the scalar loop); N = 130 (8-wide tiles and 2 columns alone); 2·K·M·N ≈ 7.1e6
    // flops, above the helper's 2²².
    const [K, M, N] = [2100, 13, 130];
    const a = { values: f32(randn(K * M, 61)), shape: [K, M] };
    const b = { values: f32(randn(K * N, 62)), shape: [K, N] };
    const attrs = { transposeA: true, transposeB: false };
    const want = matmul(a.values, b.values, M, K, N, 1, M);
    noLeak(() => {
      const was = useSimdHelper(false);
      let one: Float32Array;
      try {
        one = activeKernelAll('BatchMatMul', { a, b }, attrs)[0]!.values as Float32Array;
      } finally {
        useSimdHelper(was);
      }
      expect(relErr(one, want)).toBeLessThan(1e-6);
      const before = helper?.helped ?? 0;
      for (let i = 0; i < 100 && (i < 2 || (helper?.helped ?? 0) === before); i++) {
        const [two] = activeKernelAll('BatchMatMul', { a, b }, attrs);
        expect(two!.shape).toEqual([M, N]);
        expect((two!.values as Float32Array).every((v, k) => Object.is(v, one[k]))).toBe(true);
      }
      expect(helper?.helped ?? 0).toBeGreaterThan(before);
    });
  });

  it('multiplies by a fresh weight on both threads with the SIMD module: within 1e-6 of float64 and of the cpu kernel, the helper taking part', () => {
    const heap = asWasmHeap(tf.backend());
    const helper = simdHelper(heap);
    expect(helper).toBeDefined();
    const before = helper?.helped ?? 0;
    // m = 37: chunks of 12 rows, the last a single row; n = 90: 8-wide tiles and 2 columns alone;
    // k = 700: 64-row blocks and a last one of 60. 2·m·k·n ≈ 4.7e6 flops, above the helper's 2²².
    const [m, k, n] = [37, 700, 90];
    noLeak(() => {
      for (let call = 0; call < 100 && (call < 3 || (helper?.helped ?? 0) === before); call++) {
        const a = { values: f32(randn(m * k, 20 + call)), shape: [m, k] };
        // A new buffer each call, as after an optimizer step: tfjs has packed none of them.
        const b = { values: f32(randn(k * n, 40 + call)), shape: [k, n] };
        const attrs = { transposeA: false, transposeB: false };
        const [got] = activeKernelAll('BatchMatMul', { a, b }, attrs);
        const [cpu] = cpuKernelAll('BatchMatMul', { a, b }, attrs);
        // The product in float64 from the same float32 inputs.
        const want = matmul(a.values, b.values, m, k, n, k, 1);
        expect(got!.shape).toEqual([m, n]);
        expect(relErr(got!.values, want)).toBeLessThan(1e-6);
        expect(relErr(got!.values, cpu!.values)).toBeLessThan(1e-6);
      }
    });
    expect(helper?.helped ?? 0).toBeGreaterThan(before);
  });

  it("shares a Winograd convolution's tiles with the helper thread: the same bits as one thread", () => {
    const heap = asWasmHeap(tf.backend());
    const helper = simdHelper(heap);
    expect(helper).toBeDefined();
    // 2·tiles·16·C·K = 2·(2·9·9)·16·32·32 ≈ 5.3e6 flops, above the helper's 2²²; Ho = Wo = 17 (a
    // last tile row and column clipped); 162 tiles: chunks of 44, the last one 30.
    const [N, H, W, C, K] = [2, 17, 17, 32, 32];
    noLeak(() => {
      const x = tf.tensor4d(f32(randn(N * H * W * C, 31)), [N, H, W, C]);
      const w = tf.tensor4d(f32(randn(9 * C * K, 32)), [3, 3, C, K]);
      const before = winogradRuns().conv;
      const was = useSimdHelper(false);
      let one: Float32Array;
      try {
        one = tf.tidy(() => tf.conv2d(x, w, 1, 'same').dataSync() as Float32Array);
      } finally {
        useSimdHelper(was);
      }
      const helped = helper?.helped ?? 0;
      for (let i = 0; i < 100 && (helper?.helped ?? 0) === helped; i++) {
        const two = tf.tidy(() => tf.conv2d(x, w, 1, 'same').dataSync());
        expect(two.every((v, k) => Object.is(v, one[k]))).toBe(true);
      }
      expect(helper?.helped ?? 0).toBeGreaterThan(helped);
      expect(winogradRuns().conv).toBeGreaterThan(before + 1);
      tf.dispose([x, w]);
    });
  });

  it("shares a Winograd filter gradient's tiles with the helper thread: the same bits as one thread", () => {
    const heap = asWasmHeap(tf.backend());
    const helper = simdHelper(heap);
    expect(helper).toBeDefined();
    const [N, H, W, C, K] = [2, 17, 17, 32, 32]; // 162 tiles: chunks of 44, the last one 30
    noLeak(() => {
      const x = tf.tensor4d(f32(randn(N * H * W * C, 33)), [N, H, W, C]);
      const w = tf.tensor4d(f32(randn(9 * C * K, 34)), [3, 3, C, K]);
      const dy = tf.tensor4d(f32(randn(N * H * W * K, 35)), [N, H, W, K]);
      const dW = () =>
        tf.tidy(() =>
          tf
            .grad((t: tf.Tensor) => tf.sum(tf.mul(dy, tf.conv2d(x, t as tf.Tensor4D, 1, 'same'))))(w)
            .dataSync(),
        );
      const before = winogradRuns().filterGradient;
      const was = useSimdHelper(false);
      let one: Float32Array;
      try {
        one = dW() as Float32Array;
      } finally {
        useSimdHelper(was);
      }
      const helped = helper?.helped ?? 0;
      for (let i = 0; i < 100 && (helper?.helped ?? 0) === helped; i++) {
        const two = dW();
        expect(two.every((v, k) => Object.is(v, one[k]))).toBe(true);
      }
      expect(helper?.helped ?? 0).toBeGreaterThan(helped);
      expect(winogradRuns().filterGradient).toBeGreaterThan(before + 1);
      tf.dispose([x, w, dy]);
    });
  });

  it('a chunk that traps makes the call say so, and the helper serves the next call', () => {
    const heap = asWasmHeap(tf.backend());
    const helper = simdHelper(heap);
    const simd = simdWasm(heap);
    expect(helper).toBeDefined();
    if (helper === undefined || simd === undefined) return;
    // dW beyond the end of the heap (reads from offset 0 are harmless): the first access traps,
    // on whichever thread takes the chunk.
    const outside = 0x7ff00000;
    expect(heap.wasm.HEAPU8.length).toBeLessThan(outside);
    expect(helper.rows('rnn_weight_grad', simd, [0, 0, 0, outside, 2, 1, 8], 8)).toBe(false);
    noLeak(() => {
      expect(simdMismatches(16, 40, 68)).toBe(0);
    });
  });

  it('a later call cannot change the pool: it says so and reports the real count', async () => {
    const again = await initBackend({ prefer: 'wasm', threads: 3 });
    expect(again.threads).toBe(2);
    expect(again.tried.at(-1)?.reason).toMatch(/already been started/);
  });

  it('rejects a bad thread count', async () => {
    for (const bad of [0, 9, 1.5, '2', Number.NaN]) {
      await expect(initBackend({ prefer: 'wasm', threads: bad as never })).rejects.toThrow(
        InvalidArgumentError,
      );
    }
    await expect(initBackend({ threads: 0 })).rejects.toThrow(
      /^initBackend: options\.threads must be 'auto' or an integer in \[1, 8\], got 0/,
    );
  });

  it('lets the process exit by itself once the threaded engine has run', () => {
    // vite-node (a dependency of vitest) runs the TypeScript child script; a pool worker left
    // ref'd would keep the child alive until the timeout kills it.
    const req = createRequire(createRequire(import.meta.url).resolve('vitest/package.json'));
    const viteNode = path.join(path.dirname(req.resolve('vite-node/package.json')), 'vite-node.mjs');
    const script = fileURLToPath(new URL('./test-utils/threaded-start.ts', import.meta.url));
    // The root vitest config resolves @gflow/* to their sources, as in the tests themselves:
    // CI runs the tests before any package is built.
    const config = fileURLToPath(new URL('../../../vitest.config.ts', import.meta.url));
    const r = spawnSync(process.execPath, [viteNode, '--config', config, script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      encoding: 'utf8',
      timeout: 50_000,
    });
    expect(r.signal).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const line = r.stdout.trim().split('\n').at(-1) ?? '';
    // Σ of a 128×128 matrix of 128s; the helper thread took part in a gradient call.
    expect(JSON.parse(line)).toEqual({ threads: 2, sum: 128 * 128 * 128, helped: true });
  }, 60_000);
});
