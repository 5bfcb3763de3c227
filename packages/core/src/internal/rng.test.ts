import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRng, deriveSeed, gaussianVector, Rng } from './rng.js';

// Reference streams from an independent Python implementation of the published algorithms
// (fixtures/make-rng-fixtures.py).
const fixtures = JSON.parse(
  readFileSync(new URL('../../fixtures/rng-fixtures.json', import.meta.url), 'utf8'),
) as { cases: Record<string, { uint32: number[]; uniform: number[]; normal: number[] }> };

describe('Rng', () => {
  it('reproduces the reference sfc32 stream, uniforms and Box–Muller normals', () => {
    for (const [seed, c] of Object.entries(fixtures.cases)) {
      const g = new Rng(Number(seed));
      expect(Array.from({ length: c.uint32.length }, () => g.nextUint32())).toEqual(c.uint32);
      expect(new Rng(Number(seed)).uniform()).toBe(c.uniform[0]);
      // Python's and V8's log/cos/sin may differ in the last bit: relative 1e-14.
      const n = createRng(Number(seed)).normalVector(c.normal.length);
      c.normal.forEach((v, i) => {
        expect(Math.abs((n[i] as number) - v)).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(v)));
      });
    }
  });

  it('reads a seed as its integer part modulo 2³²', () => {
    const first = (s: number): number => new Rng(s).nextUint32();
    expect(first(1.9)).toBe(first(1));
    expect(first(2 ** 32 + 5)).toBe(first(5));
    expect(first(-1)).toBe(first(2 ** 32 - 1));
    expect(first(Number.NaN)).toBe(first(0));
    expect(first(1)).not.toBe(first(2));
  });

  it('draws uniforms strictly inside (0, 1) and normals with mean 0 and variance 1', () => {
    const g = new Rng(7);
    const n = 200_000;
    let lo = 1;
    let hi = 0;
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const u = g.uniform();
      lo = Math.min(lo, u);
      hi = Math.max(hi, u);
      const z = g.normal();
      s1 += z;
      s2 += z * z;
    }
    expect(lo).toBeGreaterThan(0);
    expect(hi).toBeLessThan(1);
    // Mean of n N(0,1) draws has sd 1/√n ≈ 0.0022; variance's sd √(2/n) ≈ 0.0032: 5 sd bounds.
    expect(Math.abs(s1 / n)).toBeLessThan(0.012);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.016);
    expect(gaussianVector(createRng(3), 5)).toEqual(new Rng(3).normalVector(5));
  });

  it('draws balanced Rademacher signs, valid permutations and integers in range', () => {
    const r = new Rng(11).rademacherVector(100_001);
    expect(r.every((v) => v === 1 || v === -1)).toBe(true);
    // The sum of n signs has sd √n ≈ 316: 5 sd.
    expect(Math.abs(r.reduce((a, b) => a + b, 0))).toBeLessThan(1600);
    const g = new Rng(5);
    const p = g.permutation(50);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    for (let i = 0; i < 1000; i++) {
      const k = g.int(3);
      expect([0, 1, 2]).toContain(k);
    }
    const items = ['a', 'b', 'c', 'd'];
    expect(g.shuffle(items)).toBe(items);
    expect([...items].sort()).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('deriveSeed', () => {
  it('is FNV-1a over the seed words and the label', () => {
    // Hand computation of FNV-1a (offset 0x811c9dc5, prime 0x01000193) for seed 0, label 'a':
    let h = 0x811c9dc5;
    for (const byte of [0, 0, 'a'.charCodeAt(0)]) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
    expect(deriveSeed(0, 'a')).toBe(h);
    expect(deriveSeed(1, 'w')).not.toBe(deriveSeed(1, 'b'));
    expect(deriveSeed(1, 'w')).not.toBe(deriveSeed(2, 'w'));
  });
});
