import { initBackend } from '@gflow/backend';
import { hostFloat32View } from '@gflow/core/internal/tfjs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clipFactorFromPairs,
  hostNormAndClipFactor,
  hostScaledPair,
  normFromPairs,
  scaledPairs,
} from './internal/norms.js';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});
afterAll(async () => {
  await initBackend({ prefer: 'wasm' });
});

describe('hostFloat32View and the host scaled pairs', () => {
  it('views a float32 tensor of the wasm heap with exactly its values, and declines other dtypes and engines', async () => {
    const before = tf.memory().numTensors;
    for (const n of [0, 1, 7, 4099]) {
      const values = Float32Array.from({ length: n }, (_, i) => Math.sin(i + 1) * 10 ** ((i % 7) - 3));
      const t = tf.tensor1d(values);
      const v = hostFloat32View(t);
      expect(v).toBeInstanceOf(Float32Array);
      expect([...(v as Float32Array)]).toEqual([...values]);
      // A slice of a bigger tensor's data is its own buffer on wasm: still exactly its values.
      const two = tf.tensor2d([...values, ...values], [2, n]);
      const row = tf.slice(two, [1, 0], [1, n]);
      expect([...(hostFloat32View(row) as Float32Array)]).toEqual([...values]);
      tf.dispose([t, two, row]);
    }
    const i = tf.tensor1d([1, 2, 3], 'int32');
    expect(hostFloat32View(i)).toBeUndefined();
    i.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await initBackend({ prefer: 'cpu' });
    const c = tf.tensor1d([1, 2]);
    expect(hostFloat32View(c)).toBeUndefined();
    c.dispose();
    await initBackend({ prefer: 'wasm' });
  });

  it('scaledPairs on the heap view equal hostScaledPair of the read-back and float64 sums, with 0, NaN, ∞, 1e-40 and 1e38', () => {
    const before = tf.memory().numTensors;
    const cases: Record<string, number[]> = {
      plain: [3, -4, 0.5, 1e-3, -2],
      zeros: [0, -0, 0],
      tiny: [1e-40, -3e-42, 2e-45],
      huge: [1e38, -3e38, 2],
      nan: [1, Number.NaN, 2],
      inf: [1, Number.NEGATIVE_INFINITY, 2],
      odd: [1, 2, 3, 4, 5, 6, 7],
      empty: [],
    };
    const tensors = Object.fromEntries(Object.entries(cases).map(([k, v]) => [k, tf.tensor1d(v)]));
    const names = Object.keys(cases);
    const pairs = scaledPairs(tensors, names, true);
    const got = pairs.dataSync();
    names.forEach((n, i) => {
      const f = Float32Array.from(cases[n] as number[]);
      const want = hostScaledPair(f);
      expect([got[2 * i], got[2 * i + 1]]).toEqual([Math.fround(want[0]), Math.fround(want[1])]);
      if (n === 'nan') expect(want.every(Number.isNaN)).toBe(true);
      else if (n === 'inf') expect(want).toEqual([Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]);
      else {
        let m = 0;
        let s = 0;
        for (const x of f) {
          m = Math.max(m, Math.abs(x));
          s += x * x;
        }
        const scale = Math.max(m, 2 ** -126);
        expect(want[0]).toBe(scale);
        expect(want[1]).toBeCloseTo(s / scale / scale, 12);
      }
    });
    tf.dispose([pairs, ...Object.values(tensors)]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('hostNormAndClipFactor', () => {
  it('agrees with the device formulas (normFromPairs, clipFactorFromPairs) on pairs from 1e-30 to 1e30, 0, NaN and ∞', () => {
    const before = tf.memory().numTensors;
    const sets: number[][][] = [
      [[3, -4], [12]],
      [[1e-30, 2e-30], [3e-31]],
      [
        [1e30, -2e30],
        [5e29, 1],
      ],
      [[0, 0], [0]],
      [[0.1, 0.2], [0.05]],
      [[1, Number.NaN], [2]],
      [[1, Number.POSITIVE_INFINITY], [2]],
      [],
    ];
    for (const set of sets) {
      for (const max of [1, 1e-3, 1e35]) {
        const tensors = Object.fromEntries(set.map((v, i) => [`t${i}`, tf.tensor1d(v)]));
        const pairs = scaledPairs(tensors, Object.keys(tensors), true);
        const host = hostNormAndClipFactor(pairs.dataSync(), max);
        const norm = normFromPairs(pairs);
        const factor = clipFactorFromPairs(pairs, max);
        const [n, f] = [norm.dataSync()[0]!, factor.dataSync()[0]!];
        for (const [h, d] of [
          [host.norm, n],
          [host.factor, f],
        ] as const) {
          if (Number.isNaN(d)) expect(h).toBeNaN();
          else if (!Number.isFinite(d)) expect(h).toBe(d);
          else expect(Math.abs(h - d)).toBeLessThanOrEqual(1e-6 * Math.abs(d));
        }
        tf.dispose([pairs, norm, factor, ...Object.values(tensors)]);
      }
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
