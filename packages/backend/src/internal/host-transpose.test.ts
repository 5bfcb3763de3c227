// The Node entry's host (index.ts installs it); these tests import modules below the entry.
import './node-host.js';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../init-backend.js';
import { noLeak } from '../test-utils/derivatives.js';
import { randn } from '../test-utils/random.js';
import { simdWasmRuns } from '../test-utils/simd-paths.js';
import { hostTransposed } from './host-transpose.js';
import { useSimdWasm } from './simd-wasm.js';
import { asWasmHeap } from './wasm-heap-view.js';

describe('hostTransposed (the BatchMatMul fill’s transposes)', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm' });
  });

  it.each([
    [1, 1],
    [1, 9],
    [9, 1],
    [4, 4],
    [7, 9],
    [130, 67],
    [1024, 16],
  ])(
    '[%i, %i]: the exact transpose, with the wasm SIMD module and with the JavaScript loop',
    (rows, cols) => {
      expect(simdWasmRuns()).toBe(true);
      const dataIds = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
      const ids = dataIds();
      noLeak(() => {
        const values = Float32Array.from(randn(rows * cols, rows * 100 + cols));
        const x = tf.tensor2d(values, [rows, cols]);
        const heap = asWasmHeap(tf.backend());
        for (const on of [true, false]) {
          const was = useSimdWasm(on);
          try {
            const t = hostTransposed(heap, x);
            expect(t.shape).toEqual([cols, rows]);
            const got = (heap.typedArrayFromHeap(t) as Float32Array).slice();
            heap.disposeData(t.dataId);
            let bad = 0;
            for (let r = 0; r < rows; r++) {
              for (let c = 0; c < cols; c++) if (!Object.is(got[c * rows + r], values[r * cols + c])) bad++;
            }
            expect(bad, on ? 'wasm SIMD' : 'JavaScript').toBe(0);
          } finally {
            useSimdWasm(was);
          }
        }
        x.dispose();
      });
      expect(dataIds()).toBe(ids);
    },
  );
});
