import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { activationNames, applyActivation, resolveActivation } from './activations.js';
import { gradCheck } from './test-utils/gradcheck.js';

// Φ(x) values (standard normal CDF) from tables: Φ(−1), Φ(0.5), Φ(2)
const PHI: Record<number, number> = {
  [-1]: 0.15865525393145707,
  0.5: 0.6914624612740131,
  2: 0.9772498680518208,
};
const xs = [-1, 0.5, 2];
const sig = (x: number): number => 1 / (1 + Math.exp(-x));
const sp = (x: number): number => Math.log1p(Math.exp(x));
const LAMBDA = 1.0507009873554805;
const ALPHA = 1.6732632423543772;
const expected: Record<string, (x: number) => number> = {
  sigmoid: sig,
  tanh: Math.tanh,
  relu: (x) => Math.max(0, x),
  leakyRelu: (x) => (x > 0 ? x : 0.01 * x),
  elu: (x) => (x > 0 ? x : Math.expm1(x)),
  selu: (x) => LAMBDA * (x > 0 ? x : ALPHA * Math.expm1(x)),
  gelu: (x) => x * (PHI[x] as number),
  silu: (x) => x * sig(x),
  swish: (x) => x * sig(x),
  mish: (x) => x * Math.tanh(sp(x)),
  softplus: sp,
  linear: (x) => x,
};

describe('activations', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('cover the registry names', () => {
    expect([...activationNames].sort()).toEqual(Object.keys(expected).sort());
  });

  for (const name of activationNames) {
    it(`${name}: values match the closed form and the gradient matches finite differences`, () => {
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const y = applyActivation(name, tf.tensor1d(xs)).dataSync();
        for (const [i, x] of xs.entries()) {
          const want = (expected[name] as (x: number) => number)(x);
          expect(Math.abs((y[i] as number) - want)).toBeLessThan(2e-6);
        }
      });
      const v = tf.tidy(() => tf.variable(tf.tensor1d([-1.3, -0.4, 0.3, 1.7])));
      const act = resolveActivation(name);
      const { mismatches } = gradCheck(() => tf.sum(act.fn(v)), [{ name, variable: v }], {
        coords: 4,
        eps: 1e-2,
      });
      expect(mismatches).toEqual([]);
      v.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('take α for leakyRelu and elu', () => {
    tf.tidy(() => {
      expect(applyActivation({ name: 'leakyRelu', alpha: 0.2 }, tf.tensor1d([-2])).dataSync()[0]).toBeCloseTo(
        -0.4,
        6,
      );
      expect(applyActivation({ name: 'elu', alpha: 2 }, tf.tensor1d([-1, 3])).arraySync()).toEqual([
        expect.closeTo(2 * Math.expm1(-1), 6),
        3,
      ]);
    });
  });

  it('reject unknown names', () => {
    expect(() => resolveActivation('gelu2' as never)).toThrow(
      /resolveActivation: activation must be one of 'sigmoid'.*got "gelu2"/,
    );
  });
});
