import { describe, expect, it } from 'vitest';
import { defaultConfig, parseHash, toHash } from './config.js';

describe('the URL hash', () => {
  it('reads the issue example and keeps the defaults for the rest', () => {
    expect(parseHash('#family=plain&depth=50&activation=sigmoid')).toEqual({
      config: { ...defaultConfig, family: 'plain', depth: 50, activation: 'sigmoid' },
      ignored: [],
    });
  });

  it('round-trips every configuration key', () => {
    const c = { family: 'residual', activation: 'relu', depth: 7, width: 64, init: 'he', seed: 42 } as const;
    expect(parseHash(toHash(c)).config).toEqual(c);
  });

  it('names what it ignores: unknown keys, unknown choices, out-of-range or non-integer numbers', () => {
    const { config, ignored } = parseHash('#family=lstm&depth=0&width=3.5&colour=red&seed=9');
    expect(config).toEqual({ ...defaultConfig, seed: 9 });
    expect(ignored).toEqual([
      'family=lstm (one of plain, residual)',
      'depth=0 (an integer in [1, 200])',
      'width=3.5 (an integer in [2, 256])',
      'colour (unknown)',
    ]);
  });
});
