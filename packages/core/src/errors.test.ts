import { describe, expect, it } from 'vitest';
import { describeValue, GflowError, InvalidArgumentError, ShapeError } from './errors.js';

describe('GflowError', () => {
  it('carries a stable code, its class name and a cause', () => {
    const cause = new Error('low level');
    const e = new ShapeError('spectralNorm: matrix must be 2-D, got shape [3]', { cause });
    expect(e).toBeInstanceOf(GflowError);
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.name).toBe('ShapeError');
    expect(e.cause).toBe(cause);
    expect(new InvalidArgumentError('f: x must be > 0, got -1').code).toBe('INVALID_ARGUMENT');
  });
  it('describes values for messages', () => {
    expect(describeValue([2, 3])).toBe('[2, 3]');
    expect(describeValue('relu')).toBe('"relu"');
    expect(describeValue(Array.from({ length: 10 }, (_, i) => i))).toMatch(/… \(10 items\)/);
  });
});
