import { describe, expect, it } from 'vitest';
import { nonFiniteReplacer, nonFiniteReviver } from './json.js';

describe('JSON with three states', () => {
  it('keeps NaN, ±∞, null, 1e-300 and 1e+300 apart through a round trip', () => {
    const value = {
      a: Number.NaN,
      b: Number.POSITIVE_INFINITY,
      c: Number.NEGATIVE_INFINITY,
      d: null,
      e: 1e-300,
      f: 1e300,
      g: 0,
    };
    const text = JSON.stringify(value, nonFiniteReplacer);
    expect(text).toBe('{"a":"NaN","b":"Infinity","c":"-Infinity","d":null,"e":1e-300,"f":1e+300,"g":0}');
    const back = JSON.parse(text, nonFiniteReviver);
    expect(back.a).toBeNaN();
    expect(back.b).toBe(Number.POSITIVE_INFINITY);
    expect(back.c).toBe(Number.NEGATIVE_INFINITY);
    expect(back.d).toBeNull();
    expect(back.e).toBe(1e-300);
    expect(back.f).toBe(1e300);
    expect(back.g).toBe(0);
  });
});
