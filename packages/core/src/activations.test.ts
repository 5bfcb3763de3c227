import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { activation, activationNames } from './activations.js';
import { expectClose } from './test-utils/helpers.js';

describe('activation', () => {
  it('has every contract name', () => {
    expect([...activationNames]).toEqual([
      'sigmoid',
      'tanh',
      'relu',
      'leakyRelu',
      'elu',
      'selu',
      'gelu',
      'silu',
      'swish',
      'mish',
      'softplus',
      'linear',
    ]);
  });

  it('matches closed forms', () => {
    // sigmoid(0) = 1/2, sigmoid′(0) = 1/4; tanh′(0) = 1.
    expect(activation('sigmoid').f(0)).toBe(0.5);
    expect(activation('sigmoid').df(0)).toBe(0.25);
    expect(activation('tanh').df(0)).toBe(1);
    // gelu(1) = Φ(1) = 0.841344746068543 (standard normal table); gelu′(0) = Φ(0) = 1/2.
    expectClose(activation('gelu').f(1), 0.841344746068543, 1e-15);
    expectClose(activation('gelu').df(0), 0.5, 1e-16);
    // softplus(0) = ln 2; silu(1) = 1/(1 + e^{−1}); mish(0) = 0.
    expectClose(activation('softplus').f(0), Math.LN2, 1e-16);
    expectClose(activation('silu').f(1), 1 / (1 + Math.exp(-1)), 1e-16);
    expect(activation('mish').f(0)).toBe(0);
    // selu(−∞) → −λα = −1.7580993408473766.
    expectClose(activation('selu').f(-50), -1.0507009873554805 * 1.6732632423543772, 1e-14);
    // relu′ at the kink follows tfjs (0); leakyRelu α default 0.01, parameterized.
    expect(activation('relu').df(0)).toBe(0);
    expect(activation('leakyRelu').f(-1)).toBe(-0.01);
    expect(activation('leakyRelu', { alpha: 0.2 }).f(-1)).toBe(-0.2);
    expectClose(activation('elu', { alpha: 2 }).f(-1), 2 * (Math.exp(-1) - 1), 1e-15);
    expect(activation('swish', { beta: 2 }).f(1)).toBeCloseTo(1 / (1 + Math.exp(-2)), 15);
    expect(activation('linear').d2f(3)).toBe(0);
  });

  it('has derivatives that match central finite differences (property)', () => {
    // Central difference error is O(h²·f‴) ≈ 1e-10 with h = 1e-5, plus rounding ε·|f|/h ≈ 1e-11.
    const h = 1e-5;
    for (const name of activationNames) {
      const a = activation(name);
      fc.assert(
        fc.property(fc.double({ min: -8, max: 8, noNaN: true }), (x) => {
          if (a.kinks.some((k) => Math.abs(x - k) < 2 * h)) return;
          const fd1 = (a.f(x + h) - a.f(x - h)) / (2 * h);
          const fd2 = (a.df(x + h) - a.df(x - h)) / (2 * h);
          expectClose(a.df(x), fd1, 1e-8, 1e-8);
          expectClose(a.d2f(x), fd2, 1e-8, 1e-8);
        }),
        { seed: 42, numRuns: 200 },
      );
    }
  });

  it('stays finite far out (no overflow in sigmoid, softplus, mish)', () => {
    for (const name of activationNames) {
      const a = activation(name);
      for (const x of [-700, -40, 40, 700]) {
        expect(Number.isFinite(a.f(x)), `${name}(${x})`).toBe(true);
        expect(Number.isFinite(a.df(x)), `${name}′(${x})`).toBe(true);
        expect(Number.isFinite(a.d2f(x)), `${name}″(${x})`).toBe(true);
      }
    }
  });

  it('rejects unknown names and bad parameters', () => {
    // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong input
    expect(() => activation('swishy' as any)).toThrow(
      /^activation: name must be one of sigmoid, .*, got "swishy"$/,
    );
    expect(() => activation('elu', { alpha: Number.NaN })).toThrow(
      /activation: options\.alpha must be a finite number, got NaN/,
    );
  });
});
