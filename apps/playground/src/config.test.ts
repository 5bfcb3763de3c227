import { describe, expect, it } from 'vitest';
import { choices, defaultConfig, defaultsFor, parseHash, relevantKeys, toHash } from './config.js';

describe('the URL hash', () => {
  it('reads the issue example and keeps the defaults for the rest', () => {
    expect(parseHash('#family=plain&depth=50&activation=sigmoid')).toEqual({
      config: { ...defaultConfig, family: 'plain', depth: 50, activation: 'sigmoid' },
      ignored: [],
    });
  });

  it('round-trips every key a family uses, for every family', () => {
    for (const family of choices.family) {
      const c = {
        ...defaultConfig,
        family,
        activation: 'relu',
        depth: 7,
        length: 13,
        width: 64,
        init: 'he',
        norm: 'layer',
        placement: 'post',
        branch: 0.25,
        rho: 1.1,
        seed: 42,
      } as const;
      const { config, ignored } = parseHash(toHash(c));
      expect(ignored).toEqual([]);
      for (const key of relevantKeys(family)) expect(config[key], `${family}.${key}`).toEqual(c[key]);
    }
  });

  it('names what it ignores: unknown keys, unknown choices, out-of-range or non-integer numbers', () => {
    const { config, ignored } = parseHash('#family=mamba&depth=0&width=3.5&colour=red&seed=9&rho=&branch=-1');
    expect(config).toEqual({ ...defaultConfig, seed: 9 });
    expect(ignored).toEqual([
      'family=mamba (one of plain, residual, highway, conv, resconv, rnn, lstm, gru, orthornn, transformer)',
      'depth=0 (an integer in [1, 200])',
      'width=3.5 (an integer in [2, 256])',
      'colour (unknown)',
      'rho= (a number in [0.05, 3])',
      'branch=-1 (a number in [0, 10])',
    ]);
  });

  it('gives conv nets and transformers their own smaller default sizes, which a link overrides', () => {
    expect(parseHash('#family=conv').config).toEqual({
      ...defaultConfig,
      family: 'conv',
      depth: 8,
      width: 16,
    });
    expect(parseHash('#family=transformer').config).toEqual(defaultsFor('transformer'));
    expect(defaultsFor('transformer')).toMatchObject({ depth: 4, width: 32 });
    expect(parseHash('#family=resconv&depth=30').config).toMatchObject({ depth: 30, width: 16 });
    expect(defaultsFor('lstm')).toEqual({ ...defaultConfig, family: 'lstm' });
  });

  it('names the keys a family does not use: an LSTM has no depth and no spectral-radius control', () => {
    const { config, ignored } = parseHash('#family=lstm&depth=30&rho=0.9&length=20');
    expect(config.length).toBe(20);
    expect(ignored).toEqual(['depth (not used by the LSTM)', 'rho (not used by the LSTM)']);
  });
});
