import { GflowIOError, InvalidArgumentError } from '@gflow/core';
import { describe, expect, it } from 'vitest';
import { formatCliError, MESSAGE_LIMIT, shortenLists } from './cli-error.js';

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

  it('cuts the long lists of a foreign error, and any paragraph past the limit, unless debugging', () => {
    const names = Array.from({ length: 40_000 }, (_, i) => `w${i}`);
    const e = new Error(`40000 of 40000 weights are not set: ${names.join(',')}`);
    expect(formatCliError(e)).toBe(
      'gflow: unexpected error: 40000 of 40000 weights are not set: w0, w1, w2, w3, w4 … and 39995 more\n',
    );
    expect(formatCliError(e, true).length).toBeGreaterThan(names.join(',').length);
    // A GflowError's own message keeps its lists, but not past MESSAGE_LIMIT characters.
    const long = new GflowIOError(`f: ${'x'.repeat(MESSAGE_LIMIT + 123)}`);
    expect(formatCliError(long)).toBe(
      `gflow: f: ${'x'.repeat(MESSAGE_LIMIT - 3)} … (126 more characters; GFLOW_DEBUG=1 prints them)\n`,
    );
  });
});

describe('shortenLists', () => {
  it('keeps 5 items of a list of more than 8, with the count of the rest', () => {
    const nine = 'a,b,c,d,e,f,g,h,i';
    expect(shortenLists(`set: ${nine}.`)).toBe('set: a, b, c, d, e … and 4 more.');
    expect(shortenLists('[k0, k1, k2, k3, k4, k5, k6, k7, k8, k9]')).toBe(
      '[k0, k1, k2, k3, k4 … and 5 more]',
    );
    // Two lists in one message are each cut.
    expect(shortenLists(`${nine} and ${nine}`)).toBe(
      'a, b, c, d, e … and 4 more and a, b, c, d, e … and 4 more',
    );
  });

  it('leaves short lists, shapes and prose alone', () => {
    for (const t of [
      'a,b,c,d,e,f,g,h', // 8 items
      'shape [16, 3, 32, 32]',
      'got 1,000,000 bytes',
      'one of relu, tanh and gelu, or a function',
    ]) {
      expect(shortenLists(t)).toBe(t);
    }
  });
});
