import { initBackend } from '@gflow/backend';
import { InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { tensorNorms } from './tensor-norms.js';

beforeAll(async () => {
  await initBackend();
});

describe('tensorNorms', () => {
  it('1e-30 and 1e30 elements: the norms tf.norm loses (hand computation: 2e-30 and 5e30)', () => {
    const before = tf.memory().numTensors;
    const a = tf.fill([4], 1e-30);
    const b = tf.tensor1d([3e30, 4e30]);
    const z = tf.zeros([3]);
    const n = tensorNorms({ a, b, z });
    // float32(1e-30) is not 1e-30 exactly: the reference is its own float64 value.
    const a32 = Math.fround(1e-30);
    expect(n.a! / (2 * a32)).toBeCloseTo(1, 6);
    expect(n.b! / Math.hypot(Math.fround(3e30), Math.fround(4e30))).toBeCloseTo(1, 6);
    expect(n.z).toBe(0);
    // The float32 Σx² that tf.norm forms underflows and overflows.
    const stock = tf.tidy(() => [tf.norm(a).dataSync()[0], tf.norm(b).dataSync()[0]]);
    expect(stock).toEqual([0, Number.POSITIVE_INFINITY]);
    tf.dispose([a, b, z]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects what is not a record of live tensors', () => {
    const t = tf.scalar(1);
    t.dispose();
    expect(() => tensorNorms(null as never)).toThrow(InvalidArgumentError);
    expect(() => tensorNorms({ t })).toThrow(
      /tensorNorms: tensors\["t"\] must be a live tensor, got a disposed tensor/,
    );
    expect(() => tensorNorms({ x: 3 } as never)).toThrow(/must be a live tensor/);
  });
});
