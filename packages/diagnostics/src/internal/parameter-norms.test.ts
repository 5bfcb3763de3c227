import { initBackend } from '@gflow/backend';
import type { Parameter } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { hostSquaredNorm } from './host-activation-stats.js';
import { parameterSquaredNorms } from './parameter-norms.js';
import { BatchedRead } from './tensors.js';

beforeAll(async () => {
  await initBackend();
});

describe('parameter squared norms: host pass and device reductions', () => {
  it('hostSquaredNorm is Σv² (hand computation), NaN through', () => {
    expect(hostSquaredNorm(Float32Array.from([3, -4, 0, 12]))).toBe(169);
    expect(hostSquaredNorm([])).toBe(0);
    expect(hostSquaredNorm([1, Number.NaN])).toBeNaN();
  });

  it('both paths give [‖g‖², ‖θ‖²] per parameter, NaN for a missing gradient', () => {
    const before = tf.memory().numTensors;
    // w = [[1, 2], [2, 4]] → ‖w‖² = 25, g_w = [[0.5, −0.5], [1, 0]] → 1.5; b = [3] → 9, no gradient.
    const w = tf.tidy(() => tf.variable(tf.tensor2d([1, 2, 2, 4], [2, 2])));
    const b = tf.tidy(() => tf.variable(tf.tensor1d([3])));
    const params: Parameter[] = [
      { name: 'w', role: 'kernel', variable: w },
      { name: 'b', role: 'bias', variable: b },
    ];
    const grads = { w: tf.tensor2d([0.5, -0.5, 1, 0], [2, 2]) };
    for (const onDevice of [false, true]) {
      const reader = new BatchedRead();
      const norms = parameterSquaredNorms(params, grads, reader, onDevice)(reader.read());
      expect(Array.from(norms.subarray(0, 2))).toEqual([1.5, 25]);
      expect(norms[2]).toBeNaN();
      expect(norms[3]).toBe(9);
    }
    tf.dispose([w, b, grads.w]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
