import { initBackend } from '@gflow/backend';
import { InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { close } from '../test-utils/tiny.js';
import { clipByGlobalNorm } from './clip-by-global-norm.js';
import { readInfo, type SquaredNorms } from './transform.js';

beforeAll(async () => {
  await initBackend();
});

describe('clipByGlobalNorm.updateWithNorms', () => {
  it('takes ‖g‖ from the given squared norms: (3, 4) and (12) → ‖g‖ = 13, scale 1/13', () => {
    const before = tf.memory().numTensors;
    // a = (3, 4): Σa² = 25; b = (12): Σb² = 144; ‖g‖ = √169 = 13. Clipped to 1: g/13.
    const grads = { a: tf.tensor1d([3, 4]), b: tf.tensor1d([12]) };
    // The norms in the order b, a: the names say which is which.
    const sqNorms: SquaredNorms = { names: ['b', 'a'], values: tf.tensor1d([144, 25]) };
    const t = clipByGlobalNorm(1);
    const state = t.init(grads);
    const r = t.updateWithNorms!(grads, sqNorms, state);
    expect(close(r.grads.a!.dataSync(), [3 / 13, 4 / 13], 1e-7)).toBe(true);
    expect(close(r.grads.b!.dataSync(), [12 / 13], 1e-7)).toBe(true);
    const info = readInfo(r.info);
    expect(info['clipByGlobalNorm.norm']).toBeCloseTo(13, 5);
    expect(info['clipByGlobalNorm.scale']).toBeCloseTo(1 / 13, 7);
    // The same as update, which squares the gradients itself.
    const u = t.update(grads, state);
    expect(close(u.grads.a!.dataSync(), r.grads.a!.dataSync(), 1e-7)).toBe(true);
    expect(readInfo(u.info)).toEqual(info);
    // The norms are the caller's: not disposed.
    expect(sqNorms.values.isDisposed).toBe(false);
    tf.dispose([
      ...Object.values(r.grads),
      ...Object.values(u.grads),
      sqNorms.values,
      ...Object.values(grads),
    ]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects norms that do not name exactly the gradients, or have the wrong length', () => {
    const before = tf.memory().numTensors;
    const grads = { a: tf.tensor1d([3, 4]), b: tf.tensor1d([12]) };
    const t = clipByGlobalNorm(1);
    const state = t.init(grads);
    const v2 = tf.tensor1d([25, 144]);
    const v3 = tf.tensor1d([25, 144, 1]);
    expect(() => t.updateWithNorms!(grads, { names: ['a'], values: v2 }, state)).toThrow(
      InvalidArgumentError,
    );
    expect(() => t.updateWithNorms!(grads, { names: ['a', 'c'], values: v2 }, state)).toThrow(
      /clipByGlobalNorm.updateWithNorms: sqNorms.names must be exactly the names of grads \["a", "b"\], got \["a", "c"\]/,
    );
    expect(() => t.updateWithNorms!(grads, { names: ['a', 'a'], values: v2 }, state)).toThrow(
      /sqNorms.names must be exactly/,
    );
    expect(() => t.updateWithNorms!(grads, { names: ['a', 'b'], values: v3 }, state)).toThrow(
      /sqNorms.values must have shape \[2\], got \[3\]/,
    );
    expect(() => t.updateWithNorms!(grads, null as unknown as SquaredNorms, state)).toThrow(
      /sqNorms must be \{names, values\}/,
    );
    tf.dispose([v2, v3, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
