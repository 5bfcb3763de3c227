// The Node entry's host (index.ts installs it); these tests import modules below the entry.
import './internal/node-host.js';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './init-backend.js';
import { noLeak } from './test-utils/derivatives.js';
import { randn } from './test-utils/random.js';

describe('wasm readSync fill', () => {
  beforeAll(async () => {
    const info = await initBackend({ prefer: 'wasm' });
    expect(info.fills).toContain('backend:readSync');
  });

  it('reads float32, int32 and bool tensors back exactly, whole and by element range, as fresh arrays', () => {
    noLeak(() => {
      const backend = tf.backend();
      for (const n of [0, 1, 3, 1000, 65537]) {
        const f = Float32Array.from(randn(n, n + 1));
        const i = Int32Array.from(f, (v) => Math.round(v * 1e6));
        const b = Uint8Array.from(f, (v) => (v > 0 ? 1 : 0));
        const tensors = [tf.tensor1d(f, 'float32'), tf.tensor1d(i, 'int32'), tf.tensor1d(b, 'bool')];
        const want = [f, i, b];
        tensors.forEach((t, k) => {
          const got = t.dataSync();
          expect(got.constructor).toBe(want[k]!.constructor);
          expect([...got]).toEqual([...want[k]!]);
          got.fill(7); // a fresh copy: writing it leaves the tensor alone
          expect([...t.dataSync()]).toEqual([...want[k]!]);
          if (n >= 3) {
            const read = backend.readSync as (id: object, start: number, end: number) => Float32Array;
            const part = read.call(backend, t.dataId, 1, n - 1);
            expect([...part]).toEqual([...want[k]!.subarray(1, n - 1)]);
          }
        });
        tf.dispose(tensors);
      }
      // A reshape shares the buffer; a slice reads through readSync.
      const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
      const r = tf.reshape(x, [3, 2]);
      expect([...r.dataSync()]).toEqual([1, 2, 3, 4, 5, 6]);
      const sl = tf.slice(x, [1, 0], [1, 3]);
      expect(sl.arraySync()).toEqual([[4, 5, 6]]);
      tf.dispose([x, r, sl]);
      const s = tf.tensor1d(['a', 'bc']);
      expect(s.dataSync()).toEqual(['a', 'bc']);
      s.dispose();
    });
  });
});
