// The Node entry's host (index.ts installs it); these tests import modules below the entry.
import '../internal/node-host.js';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../init-backend.js';
import { replacedKernel } from '../register-kernel-fills.js';
import { noLeak } from '../test-utils/derivatives.js';
import { f32, randn } from '../test-utils/random.js';

/** Σ (and mean) over `axes` in float64, by index arithmetic: the reference. */
function reference(x: Float32Array, shape: number[], axes: number[], mean: boolean): Float64Array {
  const keep = shape.map((_, i) => !axes.includes(i));
  const outShape = shape.filter((_, i) => keep[i]);
  const out = new Float64Array(outShape.reduce((a, b) => a * b, 1));
  const idx = new Array<number>(shape.length).fill(0);
  let count = 0;
  for (let flat = 0; flat < x.length; flat++) {
    let o = 0;
    for (let i = 0; i < shape.length; i++) if (keep[i]) o = o * shape[i]! + idx[i]!;
    out[o]! += x[flat]!;
    for (let i = shape.length - 1; i >= 0; i--) {
      idx[i]! += 1;
      if (idx[i]! < shape[i]!) break;
      idx[i] = 0;
    }
  }
  count = axes.reduce((a, i) => a * shape[i]!, 1);
  if (mean) for (let i = 0; i < out.length; i++) out[i]! /= count;
  return out;
}

describe('wasm Sum and Mean over leading axes (pairwise halving on heap views)', () => {
  beforeAll(async () => {
    const info = await initBackend({ prefer: 'wasm' });
    expect(info.fills).toEqual(expect.arrayContaining(['kernel:Sum', 'kernel:Mean']));
  });

  it('replaces tfjs own wasm kernels', () => {
    expect(replacedKernel('Sum', 'wasm')).toBeDefined();
    expect(replacedKernel('Mean', 'wasm')).toBeDefined();
  });

  it('match a float64 sum for every rank, axis set, odd and even row counts, keepDims', () => {
    noLeak(() => {
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 1, max: 23 }), { minLength: 1, maxLength: 4 }),
          fc.integer({ min: 1, max: 15 }),
          fc.boolean(),
          fc.boolean(),
          fc.integer({ min: 1, max: 1_000_000 }),
          (dims, mask, keepDims, mean, seed) => {
            // Big enough to reach the fill (≥ 8192 elements) most of the time: scale the first axis.
            const shape = [...dims];
            const size0 = shape.reduce((a, b) => a * b, 1);
            shape[0] = shape[0]! * Math.max(1, Math.ceil(9000 / size0));
            const axes = shape.map((_, i) => i).filter((i) => (mask >> i) & 1);
            if (axes.length === 0) axes.push(0);
            const n = shape.reduce((a, b) => a * b, 1);
            const values = f32(randn(n, seed));
            const ref = reference(values, shape, axes, mean);
            const absSum = reference(values.map(Math.abs), shape, axes, mean);
            const got = tf.tidy(() => {
              const x = tf.tensor(values, shape);
              const y = mean ? tf.mean(x, axes, keepDims) : tf.sum(x, axes, keepDims);
              const want = shape
                .map((d, i) => (axes.includes(i) ? 1 : d))
                .filter((_, i) => keepDims || !axes.includes(i));
              expect(y.shape).toEqual(want);
              return y.dataSync() as Float32Array;
            });
            // Float32 rounding: pairwise (the fill) is within log2(count)·ε·Σ|x| ≈ 1e-6·Σ|x|, the
            // stock sequential sum (small or non-leading reductions) typically within √count·ε·Σ|x|.
            for (let i = 0; i < ref.length; i++) {
              expect(Math.abs(got[i]! - ref[i]!)).toBeLessThanOrEqual(3e-6 * absSum[i]! + 1e-30);
            }
          },
        ),
        { seed: 20261123, numRuns: 60 },
      );
    });
  });

  it('sums a [4, 32, 32, 64] activation over [0, 1, 2] to float32 accuracy, and leaves int32 to tfjs', () => {
    noLeak(() => {
      const values = f32(randn(4 * 32 * 32 * 64, 9));
      const ref = reference(values, [4, 32, 32, 64], [0, 1, 2], false);
      const got = tf.tidy(() => tf.sum(tf.tensor(values, [4, 32, 32, 64]), [0, 1, 2]).dataSync());
      // Pairwise: error ~ log2(4096)·ε·Σ|x| ≈ 12 · 6e-8 · 3300 ≈ 2e-3 at worst; observed ~1e-5.
      for (let i = 0; i < 64; i++) expect(Math.abs(got[i]! - ref[i]!)).toBeLessThan(1e-3);
      const ints = tf.tidy(() =>
        Array.from(
          tf
            .sum(
              tf.tensor(
                Int32Array.from({ length: 9000 }, (_, i) => i % 7),
                [1000, 9],
                'int32',
              ),
              0,
            )
            .dataSync(),
        ),
      );
      // Column j holds i % 7 for i ≡ j (mod 9), i < 9000: 1000 values cycling through 0..6.
      const want = Array.from({ length: 9 }, (_, j) => {
        let t = 0;
        for (let i = j; i < 9000; i += 9) t += i % 7;
        return t;
      });
      expect(ints).toEqual(want);
    });
  });
});
