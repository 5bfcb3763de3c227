// The Node entry's host (index.ts installs it); these tests import modules below the entry.
import '../internal/node-host.js';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../init-backend.js';
import { useSimdWasm } from '../internal/simd-wasm.js';
import { noLeak } from '../test-utils/derivatives.js';
import { f32, randn, relErr } from '../test-utils/random.js';
import * as ref from '../test-utils/reference.js';
import { cachedFlipCount } from './Conv2DBackpropInput.js';

const XS = [2, 5, 6, 3] as const;
const WS = [3, 3, 3, 4] as const;
const geometry = { stride: 1, dilation: 1, pad: 'same' } as const;
const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** ∂/∂x of Σ r ⊙ conv2d(x, w) on the engine: one Conv2DBackpropInput with dy = r. */
function inputGrad(x: tf.Tensor4D, w: tf.Tensor4D, r: tf.Tensor4D): Float32Array {
  return tf.tidy(
    () =>
      tf
        .grad((t: tf.Tensor) => tf.sum(tf.mul(r, tf.conv2d(t as tf.Tensor4D, w, 1, 'same'))))(x)
        .dataSync() as Float32Array,
  );
}

describe('wasm Conv2DBackpropInput: flip(W)ᵀ kept with the filter buffer', () => {
  let backend: tf.KernelBackend;
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm' });
    backend = tf.backend();
  });

  it('reuses one flip per filter buffer, follows a reassigned variable, and frees it with the filter', () => {
    const idsBefore = backend.numDataIds();
    noLeak(() => {
      const xv = randn(size(XS), 1);
      const rv = randn(5 * 6 * 4 * 2, 2);
      const wa = randn(size(WS), 3);
      const wb = randn(size(WS), 4);
      const x = tf.tensor4d(f32(xv), [...XS]);
      const r = tf.tensor4d(f32(rv), [2, 5, 6, 4]);
      const w = tf.tidy(() => tf.variable(tf.tensor4d(f32(wa), [...WS])));
      const flipsBefore = cachedFlipCount(backend);
      // Reference: dx = Σ dy·W, float64 (inputs rounded to float32 as the engine sees them).
      const expected = (wv: Float64Array) =>
        ref.conv2dBackpropInput(XS, Float64Array.from(f32(rv)), Float64Array.from(f32(wv)), WS, geometry);
      const first = inputGrad(x, w, r);
      expect(cachedFlipCount(backend)).toBe(flipsBefore + 1);
      const second = inputGrad(x, w, r);
      expect(cachedFlipCount(backend)).toBe(flipsBefore + 1); // the same buffer: no new flip
      expect(relErr(first, expected(wa))).toBeLessThan(1e-5);
      expect(Array.from(second)).toEqual(Array.from(first));
      // assign gives the variable a new buffer: a new flip, the old one freed with the old buffer.
      tf.tidy(() => w.assign(tf.tensor4d(f32(wb), [...WS])));
      const third = inputGrad(x, w, r);
      expect(relErr(third, expected(wb))).toBeLessThan(1e-5);
      expect(cachedFlipCount(backend)).toBe(flipsBefore + 1);
      tf.dispose([x, r, w]);
      expect(cachedFlipCount(backend)).toBe(flipsBefore);
    });
    expect(backend.numDataIds()).toBe(idsBefore);
  });

  it('makes flip(W)ᵀ with the SIMD module and with the JavaScript loop alike (the same dx, bit for bit)', () => {
    noLeak(() => {
      const xv = f32(randn(size(XS), 21));
      const rv = f32(randn(5 * 6 * 4 * 2, 22));
      const wv = f32(randn(size(WS), 23));
      const dx = () =>
        tf.tidy(() => {
          // A fresh filter buffer each time, so that each run makes its own flip.
          const w = tf.tensor4d(wv, [...WS]);
          return inputGrad(tf.tensor4d(xv, [...XS]), w, tf.tensor4d(rv, [2, 5, 6, 4]));
        });
      const simd = dx();
      const was = useSimdWasm(false);
      let js: Float32Array;
      try {
        js = dx();
      } finally {
        useSimdWasm(was);
      }
      expect(Array.from(js)).toEqual(Array.from(simd));
    });
  });
});
