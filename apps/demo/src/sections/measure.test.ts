import { initBackend } from '@gflow/backend';
import { plainMLP } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { blockIndex, fittedRate, fmt, measureTaps, mse, normal } from './measure.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('measurement helpers', () => {
  it('fittedRate recovers the ratio of a geometric sequence and skips underflowed zeros', () => {
    // g(k) = 3·0.9^k exactly, so ln g is linear in k with slope ln 0.9.
    const g = Array.from({ length: 50 }, (_, k) => 3 * 0.9 ** k);
    expect(fittedRate(g, 49)).toBeCloseTo(0.9, 12);
    g[40] = 0;
    g[41] = null as unknown as number;
    expect(fittedRate(g, 49)).toBeCloseTo(0.9, 12);
    expect(fittedRate([1], 5)).toBeNull();
    expect(fittedRate([0, 0, 0], 5)).toBeNull();
  });

  it('fmt and blockIndex', () => {
    expect(fmt(0.123456)).toBe('0.123');
    expect(fmt(1.2e-8)).toBe('1.20e-8');
    expect(fmt(12345)).toBe('1.23e+4');
    expect(fmt(null)).toBe('n/a');
    expect(fmt(Number.POSITIVE_INFINITY)).toBe('∞');
    expect(blockIndex('blocks.12')).toBe(12);
    expect(blockIndex('blocks.1.conv')).toBe(-1);
  });

  it('measureTaps: ∂L/∂x and parameter gradients match tf.grads computed directly; no leaks', () => {
    const before = tf.memory().numTensors;
    const model = plainMLP({
      depth: 3,
      width: 5,
      inputSize: 4,
      outputSize: 2,
      activation: 'tanh',
      init: 'xavier',
      seed: 1,
    });
    const x = normal([6, 4], 1);
    const y = normal([6, 2], 2);
    const m = measureTaps(model, x, y);
    // Independent computation: differentiate the same loss with tfjs directly.
    const params = model.parameters();
    const [gx, ...gp] = tf.grads((xx: tf.Tensor, ...vs: tf.Tensor[]) => {
      void vs;
      return mse(y, model.apply(xx));
    })([x, ...params.map((p) => p.variable)]);
    const nx = tf.tidy(() => tf.norm(gx as tf.Tensor).dataSync()[0] as number);
    expect(m.inputGradNorm).toBeCloseTo(nx, 5);
    params.forEach((p, i) => {
      const n = tf.tidy(() => tf.norm(gp[i] as tf.Tensor).dataSync()[0] as number);
      expect(m.paramGradNorms[p.name]).toBeCloseTo(n, 5);
    });
    expect(m.taps.map((t) => t.name)).toEqual(['blocks.0', 'blocks.1', 'blocks.2']);
    expect(m.loss).toBeCloseTo(
      tf.tidy(() => mse(y, model.apply(x)).dataSync()[0] as number),
      6,
    );
    tf.dispose([x, y, gx as tf.Tensor, ...(gp as tf.Tensor[])]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
