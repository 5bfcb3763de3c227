import { afterEach, describe, expect, it } from 'vitest';
import {
  allocationLimit,
  checkAllocation,
  DEFAULT_ALLOCATION_LIMIT,
  setAllocationLimit,
} from './allocation-limit.js';
import { GflowError, InvalidArgumentError } from './errors.js';
import { lanczos } from './lanczos.js';
import { powerIteration } from './power-iteration.js';
import { runWithin } from './test-utils/bad-inputs.js';

afterEach(() => {
  setAllocationLimit(DEFAULT_ALLOCATION_LIMIT);
});

/** The GflowError `f` throws under the bad-input harness's 1 s watchdog (a hang fails the test). */
function refusal(f: () => unknown): GflowError {
  try {
    runWithin(f, 1000);
  } catch (e) {
    if (e instanceof GflowError) return e;
    throw e;
  }
  throw new Error('expected a GflowError, the call returned');
}

describe('the allocation limit', () => {
  it('defaults to 2^28 values and is configurable, returning the previous limit', () => {
    expect(DEFAULT_ALLOCATION_LIMIT).toBe(268435456);
    expect(allocationLimit()).toBe(DEFAULT_ALLOCATION_LIMIT);
    expect(setAllocationLimit(1000)).toBe(DEFAULT_ALLOCATION_LIMIT);
    expect(allocationLimit()).toBe(1000);
    expect(setAllocationLimit(Number.POSITIVE_INFINITY)).toBe(1000);
    expect(checkAllocation('f', 'values', 1e300)).toBe(1e300);
  });

  it('refuses a limit that is not an integer ≥ 1 or Infinity', () => {
    for (const bad of [0, -1, 0.5, Number.NaN, Number.NEGATIVE_INFINITY, '10', null]) {
      expect(() => setAllocationLimit(bad as number)).toThrow(InvalidArgumentError);
    }
    expect(allocationLimit()).toBe(DEFAULT_ALLOCATION_LIMIT);
  });

  it('passes an estimate at the limit and refuses one above it, with the estimate in values and bytes', () => {
    setAllocationLimit(100);
    expect(checkAllocation('f', 'values', 100, 8)).toBe(100);
    expect(() => checkAllocation('f', 'float64 values', 101, 8)).toThrow(
      'f: would allocate about 1.01e+2 float64 values (8.08e+2 bytes), above the allocation limit of 100 values',
    );
    // an overflowed product (Infinity) is refused too; NaN and negatives are bad estimates
    expect(() => checkAllocation('f', 'values', Number.POSITIVE_INFINITY)).toThrow(/about Infinity values/);
    expect(() => checkAllocation('f', 'values', Number.NaN)).toThrow(
      /estimate must be a number ≥ 0, got NaN/,
    );
    expect(() => checkAllocation('f', 'values', -1)).toThrow(InvalidArgumentError);
  });
});

describe('iterative routines refuse a dimension of 1e9 before allocating (they hung)', () => {
  const matvec = (v: Float64Array): Float64Array => v;

  it('lanczos(matvec, 1e9): 30 steps → (2·30 + 2)·1e9 float64 values', () => {
    const e = refusal(() => lanczos(matvec, 1e9));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message).toBe(
      'lanczos: would allocate about 6.20e+10 float64 values (4.96e+11 bytes), above the allocation limit of 268435456 values; raise it with setAllocationLimit() if this is intended',
    );
  });

  it('powerIteration(matvec, 1e9): 3·1e9 float64 values', () => {
    const e = refusal(() => powerIteration(matvec, 1e9));
    expect(e.message).toMatch(
      /^powerIteration: would allocate about 3\.00e\+9 float64 values \(2\.40e\+10 bytes\)/,
    );
  });

  it('a small dimension still runs: powerIteration of diag(3, 1) finds 3', () => {
    const diag = (v: Float64Array): Float64Array => Float64Array.from([3 * (v[0] as number), v[1] as number]);
    expect(powerIteration(diag, 2).value).toBeCloseTo(3, 6);
  });
});
