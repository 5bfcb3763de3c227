import { initBackend } from '@gflow/backend';
import { InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { indRNN } from './ind-rnn.js';
import { vanillaRNN } from './vanilla-rnn.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('indRNN', () => {
  it('h_t = relu(x_t U + b + w ⊙ h_{t−1}) and ∂h_T/∂x_1 = U·w^{T−1} for active units, by hand', () => {
    const model = indRNN({ inputSize: 1, hiddenSize: 2, seed: 3 });
    const before = tf.memory().numTensors;
    const byName = Object.fromEntries(model.parameters().map((p) => [p.name, p]));
    expect(Object.keys(byName)).toEqual([
      'layers.0.input.kernel',
      'layers.0.bias',
      'layers.0.recurrent.weight',
    ]);
    expect(byName['layers.0.recurrent.weight']?.role).toBe('recurrent');
    tf.tidy(() => {
      byName['layers.0.input.kernel']?.variable.assign(tf.tensor2d([[1, 2]]));
      byName['layers.0.bias']?.variable.assign(tf.tensor1d([0.1, 0.1]));
      byName['layers.0.recurrent.weight']?.variable.assign(tf.tensor1d([0.5, 1.5]));
    });
    const x = tf.ones([1, 3, 1]);
    const [hT, dx] = tf.tidy(() => {
      const h = model.apply(x);
      // L = Σᵢ h_T,i; its gradient to the input of the first step.
      const g = tf.grad((xs: tf.Tensor) => tf.sum(model.apply(xs)))(x);
      return [h, g];
    }) as [tf.Tensor, tf.Tensor];
    // Unit 0: 1.1, 1.1 + 0.5·1.1 = 1.65, 1.1 + 0.5·1.65 = 1.925; unit 1: 2.1, 2.1 + 1.5·2.1 = 5.25,
    // 2.1 + 1.5·5.25 = 9.975 (every pre-activation positive: relu is the identity).
    const h = hT.dataSync();
    expect(h[0]).toBeCloseTo(1.925, 5);
    expect(h[1]).toBeCloseTo(9.975, 5);
    // ∂L/∂x_t = Σᵢ Uᵢ·wᵢ^{T−t}: x_1: 1·0.25 + 2·2.25 = 4.75; x_2: 0.5 + 3 = 3.5; x_3: 1 + 2 = 3.
    const d = dx.dataSync();
    expect(d[0]).toBeCloseTo(4.75, 5);
    expect(d[1]).toBeCloseTo(3.5, 5);
    expect(d[2]).toBeCloseTo(3, 5);
    const w = model.recurrentMatrix();
    expect(Array.from(w.dataSync())).toEqual([0.5, 0, 0, 1.5]);
    tf.dispose([x, hT, dx, w]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('starts each recurrent weight uniform in recurrentRange, seeded', () => {
    const weights = (seed: number) => {
      const m = indRNN({ inputSize: 2, hiddenSize: 200, recurrentRange: [0.9, 1.1], seed });
      const w = Array.from(
        m
          .parameters()
          .find((p) => p.name === 'layers.0.recurrent.weight')
          ?.variable.dataSync() ?? [],
      );
      m.dispose();
      return w;
    };
    const a = weights(1);
    expect(a).toHaveLength(200);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(Math.fround(0.9));
    expect(Math.max(...a)).toBeLessThanOrEqual(Math.fround(1.1));
    // The mean of 200 draws of U(0.9, 1.1): 1 ± 3·(0.2/√12)/√200 ≈ 1 ± 0.012.
    expect(Math.abs(a.reduce((s, x) => s + x, 0) / 200 - 1)).toBeLessThan(0.013);
    expect(weights(1)).toEqual(a);
    expect(weights(2)).not.toEqual(a);
  });

  it('rejects a bad recurrentRange before any tensor is made', () => {
    const before = tf.memory().numTensors;
    for (const bad of [[1, 0], [0, Number.NaN], [1], 'wide']) {
      expect(() => indRNN({ inputSize: 1, hiddenSize: 2, recurrentRange: bad as never })).toThrow(
        InvalidArgumentError,
      );
    }
    expect(() => indRNN({ inputSize: 1, hiddenSize: 2, recurrentRange: [1, 0] })).toThrow(
      /indRNN: options\.recurrentRange must be \[lo, hi\], two finite numbers with lo ≤ hi, got \[1, 0\]/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('counts one recurrent weight per unit in its size check, not H²', () => {
    const before = tf.memory().numTensors;
    // H = 20,000 with one input: (1 + 1 + 1)·H = 6e4 parameters; an H×H matrix would be 4e8,
    // above the default allocation limit of 2^28 ≈ 2.7e8 values.
    expect(() => vanillaRNN({ inputSize: 1, hiddenSize: 20_000 })).toThrow(/above the allocation limit/);
    const big = indRNN({ inputSize: 1, hiddenSize: 20_000 });
    expect(big.parameters().reduce((n, p) => n + p.variable.size, 0)).toBe(3 * 20_000);
    big.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
