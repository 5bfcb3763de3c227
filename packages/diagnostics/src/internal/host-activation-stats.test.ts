import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { hostActivationStats } from './host-activation-stats.js';
import { activationStatsTensor } from './tap-recorder.js';

beforeAll(async () => {
  await initBackend();
});

describe('activation statistics: host pass and device reductions', () => {
  // x[2, 2, 3] (units = last axis):
  //   row 0: [0, 2, 0]   row 1: [0, -1, 0]
  //   row 2: [0, 4, 3]   row 3: [0, 0, 0]
  // Sum 8 over 12 entries → mean 2/3; Σx² = 4 + 1 + 16 + 9 = 30 → var = 30/12 − 4/9 = 37/18.
  // Zeros: 8 of 12. Unit 0 is zero in every row (dead), units 1 and 2 are not: 1/3.
  const values = [0, 2, 0, 0, -1, 0, 0, 4, 3, 0, 0, 0];
  const expected = [2 / 3, Math.sqrt(37 / 18), -1, 4, 8 / 12, 1 / 3];

  it('hostActivationStats matches the hand computation', () => {
    const s = hostActivationStats(Float32Array.from(values), 3);
    for (let i = 0; i < 6; i++) expect(s[i]).toBeCloseTo(expected[i]!, 12);
  });

  it('the host and device paths of activationStatsTensor agree with it (float32, 1e-6)', () => {
    const before = tf.memory().numTensors;
    const x = tf.tensor3d(values, [2, 2, 3]);
    for (const onDevice of [false, true]) {
      const t = activationStatsTensor(x, onDevice);
      const got = Array.from(t.dataSync());
      t.dispose();
      for (let i = 0; i < 6; i++) expect(got[i]).toBeCloseTo(expected[i]!, 6);
    }
    // Rank 1: one unit, dead only when every entry is zero.
    const v = tf.tensor1d([0, 0, 5]);
    for (const onDevice of [false, true]) {
      const t = activationStatsTensor(v, onDevice);
      expect(t.dataSync()[5]).toBe(0);
      t.dispose();
    }
    tf.dispose([x, v]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports NaN, not a number, when the activation holds NaN', () => {
    const s = hostActivationStats(Float32Array.from([1, Number.NaN, 0, 2]), 2);
    expect(s.slice(0, 4).every(Number.isNaN)).toBe(true);
    expect(s[4]).toBe(1 / 4);
    expect(s[5]).toBe(0);
  });

  it('keeps the standard deviation of an offset activation (mean 1e4, σ ≈ 0.5) to 1e-6 relative', () => {
    // Float32 values 10000 + j/8 (exact in float32), j = 0..7 repeated: mean 10000 + 7/16,
    // variance Σ(j − 3.5)²/8 / 64 = 5.25/64 (hand computation).
    const data = Float32Array.from({ length: 4096 }, (_, i) => 10000 + (i % 8) / 8);
    const s = hostActivationStats(data, 8);
    expect(s[0]).toBeCloseTo(10000 + 7 / 16, 9);
    expect(Math.abs(s[1]! / Math.sqrt(5.25 / 64) - 1)).toBeLessThan(1e-6);
    expect([s[2], s[3], s[4], s[5]]).toEqual([10000, 10000 + 7 / 8, 0, 0]);
  });

  it('counts −0 as zero and a dead unit only when every row is zero there', () => {
    // units = 2: unit 0 is [−0, 0, −0] (dead), unit 1 is [0, 1e−45 (a float32 subnormal), 0].
    const s = hostActivationStats(Float32Array.from([-0, 0, 0, 1e-45, -0, 0]), 2);
    expect(s[4]).toBeCloseTo(5 / 6, 12);
    expect(s[5]).toBe(1 / 2);
  });
});
