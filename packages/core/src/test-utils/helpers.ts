import { readFileSync } from 'node:fs';
import { expect } from 'vitest';

/** The scipy/numpy fixtures made by packages/core/fixtures/make-fixtures.py. */
// biome-ignore lint/suspicious/noExplicitAny: JSON fixture
export const fixtures: any = JSON.parse(
  readFileSync(new URL('../../fixtures/core-fixtures.json', import.meta.url), 'utf8'),
);

/** One matrix of the linear-algebra fixtures. */
export interface LinalgFixture {
  matrix: number[][];
  singularValues: number[];
  frobenius: number;
  nuclear: number;
  eigRe?: number[];
  eigIm?: number[];
  spectralRadius?: number;
  cond?: number;
}

/** The linear-algebra fixtures by name. */
export const linalgFixtures = fixtures.linalg as Record<string, LinalgFixture>;

/** Asserts |a − b| ≤ atol + rtol·|b| with a readable message. */
export function expectClose(actual: number, expected: number, atol: number, rtol = 0): void {
  const err = Math.abs(actual - expected);
  if (!(err <= atol + rtol * Math.abs(expected))) {
    expect.fail(`expected ${actual} to be within ${atol} + ${rtol}·|x| of ${expected} (error ${err})`);
  }
}

/** Element-wise {@link expectClose}. */
export function expectAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  atol: number,
  rtol = 0,
): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expectClose(actual[i]!, expected[i]!, atol, rtol);
}

/** A seeded N(0, 1) matrix as nested arrays (mulberry32 + Box–Muller; independent of the code under test). */
export function randomMatrix(rows: number, cols: number, seed: number): number[][] {
  let s = seed >>> 0;
  const u = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const g = (): number => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  return Array.from({ length: rows }, () => Array.from({ length: cols }, g));
}

/** Dense matrix-vector product for nested arrays (a reference for matvec-based solvers). */
export function nestedMatvec(a: readonly (readonly number[])[]): (v: Float64Array) => Float64Array {
  return (v) => Float64Array.from(a, (row) => row.reduce((s, x, j) => s + x * v[j]!, 0));
}
