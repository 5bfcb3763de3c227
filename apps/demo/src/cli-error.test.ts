import { GflowIOError, InvalidArgumentError } from '@gflow/core';
import { describe, expect, it } from 'vitest';
import { formatCliError } from './cli-error.js';

describe('formatCliError', () => {
  it('prints a GflowError as one paragraph without a stack', () => {
    const e = new GflowIOError('loadModelFromFile: x.json is not JSON\n  (Unexpected token)');
    expect(formatCliError(e)).toBe('gflow: loadModelFromFile: x.json is not JSON (Unexpected token)\n');
  });

  it('labels anything else as unexpected and adds the stack only when debugging', () => {
    const e = new TypeError('boom');
    expect(formatCliError(e)).toBe('gflow: unexpected error: boom\n');
    expect(formatCliError(e, true)).toMatch(/^gflow: unexpected error: boom\nTypeError: boom\n\s+at /);
    expect(formatCliError('plain string')).toBe('gflow: unexpected error: plain string\n');
    expect(formatCliError(new InvalidArgumentError('f: a must be 1, got 2'))).toBe(
      'gflow: f: a must be 1, got 2\n',
    );
  });
});
