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
    // Objects: a tensor-like by dtype and shape, a plain object by its keys, an instance by class.
    expect(describeValue({ shape: [5, 4], dtype: 'float32' })).toBe('Tensor float32 [5, 4]');
    expect(describeValue({ shape: [], dtype: 'int32', isDisposed: true })).toBe('Tensor int32 [] (disposed)');
    expect(describeValue({ inputs: 1, targets: 2 })).toBe('{inputs, targets}');
    expect(describeValue(Object.fromEntries('abcdefgh'.split('').map((k) => [k, 0])))).toBe(
      '{a, b, c, d, e, f, … (8 keys)}',
    );
    expect(describeValue(new Map())).toBe('Map');
    expect(describeValue(Object.create(null))).toBe('{}');
    expect(describeValue(function lossFn() {})).toBe('function lossFn');
  });
});
