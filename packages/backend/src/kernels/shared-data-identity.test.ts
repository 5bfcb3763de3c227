// The Node entry's host (index.ts installs it); these tests import modules below the entry.
import '../internal/node-host.js';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../init-backend.js';
import { replacedKernel } from '../register-kernel-fills.js';
import { noLeak } from '../test-utils/derivatives.js';

describe('wasm Identity and Cast fills (shared data)', () => {
  beforeAll(async () => {
    const info = await initBackend({ prefer: 'wasm' });
    expect(info.fills).toEqual(expect.arrayContaining(['kernel:Identity', 'kernel:Cast']));
  });

  it('replace tfjs own wasm kernels', () => {
    for (const k of ['Identity', 'Cast']) {
      expect(replacedKernel(k, 'wasm')).toBeDefined();
      expect(tf.getKernel(k, 'wasm')).not.toBe(replacedKernel(k, 'wasm'));
    }
  });

  it('clone and same-dtype cast share the data and outlive the original; memory is freed once', () => {
    const buffersBefore = tf.memory().numDataBuffers;
    noLeak(() => {
      const x = tf.tensor2d([1.5, -2, 3, 0], [2, 2]);
      const c = tf.clone(x);
      const f = tf.cast(x, 'float32');
      // Shared: one data buffer for the three tensors.
      expect(tf.memory().numDataBuffers - buffersBefore).toBe(1);
      expect(c.dataId).toBe(x.dataId);
      x.dispose();
      expect(Array.from(c.dataSync())).toEqual([1.5, -2, 3, 0]);
      expect(Array.from(f.dataSync())).toEqual([1.5, -2, 3, 0]);
      expect(f.shape).toEqual([2, 2]);
      c.dispose();
      f.dispose();
    });
    expect(tf.memory().numDataBuffers).toBe(buffersBefore);
  });

  it('a cast to another dtype still converts (bool as x ≠ 0, as the cpu kernel), strings are copied', () => {
    noLeak(() =>
      tf.tidy(() => {
        const x = tf.tensor1d([1.75, -2.5, 0, Number.NaN, -256]);
        const i = tf.cast(tf.slice(x, 0, 3), 'int32');
        expect(i.dtype).toBe('int32');
        expect(Array.from(i.dataSync())).toEqual([1, -2, 0]);
        // tfjs-backend-wasm's own kernel gives 254 for −2.5 and 0 for −256 (a byte store).
        const b = tf.cast(x, 'bool');
        expect(b.dtype).toBe('bool');
        expect(Array.from(b.dataSync())).toEqual([1, 1, 0, 1, 1]);
        const bi = tf.cast(tf.tensor1d([3, 0, -1], 'int32'), 'bool');
        expect(Array.from(bi.dataSync())).toEqual([1, 0, 1]);
        const back = tf.cast(i, 'float32');
        expect(back.dataId).not.toBe(i.dataId);
        expect(Array.from(back.dataSync())).toEqual([1, -2, 0]);
        const s = tf.tensor1d(['a', 'bc'], 'string');
        const sc = tf.clone(s);
        expect(sc.dataSync()).toEqual(['a', 'bc']);
      }),
    );
  });

  it('gradients through saved (shared) tensors are unchanged: d/dx Σ (x·x) = 2x', () => {
    noLeak(() => {
      const x = tf.tensor1d([0.5, -3, 2]);
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(t, t)))(x);
      expect(Array.from(g.dataSync())).toEqual([1, -6, 4]);
      tf.dispose([x, g]);
    });
  });
});
