// A browser whose main thread compiles at most 4 KB of wasm synchronously (Chrome before it raised
// the limit to 8 MB) gets only gflow's small SIMD module synchronously; initBackend then loads the
// full one asynchronously. Emulated here by a WebAssembly.Module that refuses more than 4 KB, as
// such a browser does; its own file, since the module is instantiated once per process.
// The Node entry's host (index.ts installs it); these tests import modules below the entry.
import './internal/node-host.js';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './init-backend.js';
import { simdWasmModule } from './internal/simd-wasm.js';
import { asWasmHeap } from './internal/wasm-heap-view.js';
import { winogradRuns } from './internal/winograd.js';
import { noLeak } from './test-utils/derivatives.js';

const Original = WebAssembly.Module;

describe('a main thread that compiles at most 4 KB of wasm synchronously', () => {
  let refused = 0;
  beforeAll(async () => {
    class Limited extends Original {
      constructor(bytes: BufferSource) {
        if (bytes.byteLength > 4096) {
          refused++;
          throw new RangeError(
            'WebAssembly.Compile is disallowed on the main thread, if the buffer size is larger than 4KB',
          );
        }
        super(bytes);
      }
    }
    (WebAssembly as { Module: typeof WebAssembly.Module }).Module = Limited;
    await initBackend({ prefer: 'wasm' });
  });
  afterAll(() => {
    (WebAssembly as { Module: typeof WebAssembly.Module }).Module = Original;
  });

  it('initBackend loads the full SIMD module asynchronously, and 3×3 convolutions run by Winograd', () => {
    expect(refused).toBeGreaterThan(0); // the synchronous compile of the full module was refused
    const mod = simdWasmModule(asWasmHeap(tf.backend()));
    expect(mod?.full).toBe(true);
    noLeak(() => {
      const before = winogradRuns().conv;
      const y = tf.tidy(() => {
        const x = tf.ones([1, 4, 4, 4]) as tf.Tensor4D;
        return tf.conv2d(x, tf.ones([3, 3, 4, 4]) as tf.Tensor4D, 1, 'same').dataSync();
      });
      expect(winogradRuns().conv).toBe(before + 1);
      // All ones: each output sums 4 channels over the taps inside the 4×4 input.
      const taps = (i: number) => (i === 0 || i === 3 ? 2 : 3);
      for (let i = 0; i < 4; i++)
        for (let j = 0; j < 4; j++) expect(y[(i * 4 + j) * 4]).toBe(4 * taps(i) * taps(j));
    });
  });
});
