// The Node entry's host (index.ts installs it); these tests import modules below the entry.
import '../internal/node-host.js';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../init-backend.js';
import { useSimdWasm } from '../internal/simd-wasm.js';
import { replacedKernel } from '../register-kernel-fills.js';
import { noLeak } from '../test-utils/derivatives.js';
import { simdWasmRuns } from '../test-utils/simd-paths.js';

describe('wasm Tanh fill (the SIMD module in place; else XNNPACK sigmoid and a polynomial near 0)', () => {
  beforeAll(async () => {
    const info = await initBackend({ prefer: 'wasm' });
    expect(info.fills).toContain('kernel:Tanh');
    expect(replacedKernel('Tanh', 'wasm')).toBeDefined();
  });

  it.each([
    ['the wasm SIMD pass', true],
    ['XNNPACK sigmoid and the polynomial (no SIMD module)', false],
  ])(
    '%s is within 3e-7 (relative) of float64 Math.tanh over [−20, 20], at the 0.625 seam and on ±0, ±∞, NaN',
    (_, simd) => {
      const was = useSimdWasm(simd);
      try {
        expect(simdWasmRuns()).toBe(simd);
        accurate();
      } finally {
        useSimdWasm(was);
      }
    },
  );

  function accurate(): void {
    noLeak(() => {
      const xs: number[] = [];
      for (let i = -20000; i <= 20000; i++) xs.push(i / 1000);
      for (const d of [0, 1e-7, -1e-7, 1e-6]) xs.push(0.625 + d, -0.625 - d, 0.625 - d);
      xs.push(1e-30, -1e-30, 3e-39 /* subnormal */, 88, -88);
      const x32 = Float32Array.from(xs);
      const got = tf.tidy(() => tf.tanh(tf.tensor1d(x32)).dataSync());
      let worst = 0;
      x32.forEach((v, i) => {
        const want = Math.tanh(v);
        const err = want === 0 ? Math.abs(got[i]!) : Math.abs(got[i]! - want) / Math.abs(want);
        worst = Math.max(worst, err);
      });
      expect(worst).toBeLessThan(3e-7);
      const special = tf.tidy(() =>
        Array.from(tf.tanh(tf.tensor1d([0, -0, Infinity, -Infinity, Number.NaN])).dataSync()),
      );
      expect(Object.is(special[0], 0)).toBe(true);
      expect(Object.is(special[1], -0)).toBe(true);
      expect(special.slice(2, 4)).toEqual([1, -1]);
      expect(special[4]).toBeNaN();
      // Shapes whose size is not a multiple of 4 (the SIMD loop's tail) and a 3-d one.
      for (const shape of [[7], [3, 5], [2, 3, 5]]) {
        const size = shape.reduce((a, b) => a * b, 1);
        const v = Float32Array.from({ length: size }, (_, i) => (i - size / 2) / 3);
        const t = tf.tidy(() => {
          const y = tf.tanh(tf.tensor(v, shape));
          return { shape: y.shape, values: Array.from(y.dataSync()) };
        });
        expect(t.shape).toEqual(shape);
        const worst = Math.max(...t.values.map((y, i) => Math.abs(y - Math.tanh(v[i]!))));
        expect(worst).toBeLessThan(3e-7);
      }
    });
  }

  it('keeps the shape and the first and second derivatives: d tanh = 1 − tanh², d² tanh = −2 tanh (1 − tanh²)', () => {
    noLeak(() => {
      const x = tf.tensor2d([-1.5, -0.3, 0, 0.4, 2], [1, 5]);
      const g1 = tf.grad((t: tf.Tensor) => tf.sum(tf.tanh(t)));
      const g2 = tf.grad((t: tf.Tensor) => tf.sum(g1(t)));
      const [y, d1, d2] = tf.tidy(() => [tf.tanh(x), g1(x), g2(x)].map((t) => Array.from(t.dataSync())));
      [-1.5, -0.3, 0, 0.4, 2].forEach((v, i) => {
        const t = Math.tanh(v);
        expect(y![i]).toBeCloseTo(t, 6);
        expect(d1![i]).toBeCloseTo(1 - t * t, 6);
        expect(d2![i]).toBeCloseTo(-2 * t * (1 - t * t), 5);
      });
      expect(tf.tidy(() => tf.tanh(x).shape)).toEqual([1, 5]);
      x.dispose();
    });
  });
});
