import { InvalidArgumentError } from '@gflow/core';
import { describe, expect, it } from 'vitest';
import { probe } from './bad-inputs.js';

// The bad-input harness must fail for each way a call can go wrong, or its passing means nothing.
describe('the bad-input harness', () => {
  it('accepts a GflowError and a finite result', async () => {
    const refuse = (): never => {
      throw new InvalidArgumentError('refuse: x must be a number, got null');
    };
    expect(await probe('refuse', refuse, [null])).toBeUndefined();
    expect(await probe('ok', (x: number) => ({ value: 2 * x }), [1])).toBeUndefined();
  });

  it('catches a synchronous infinite loop within its limit', async () => {
    const hang = (): number => {
      let i = 0;
      while (i >= 0) i = (i + 1) % 1000;
      return i;
    };
    const failure = await probe('hang', hang, [], { limitMs: 50 });
    expect(failure).toMatch(/^hang\(\) hung: still running after 50 ms/);
  });

  it('catches a promise that never settles', async () => {
    const never = (): Promise<void> => new Promise(() => {});
    expect(await probe('never', never, [], { limitMs: 20 })).toMatch(/did not settle within 20 ms/);
  });

  it('catches an error that is not a GflowError', async () => {
    const typeError = (o: { depth: number }): number => o.depth;
    expect(await probe('typeError', typeError, [null])).toMatch(
      /threw a non-GflowError:[\s\S]*TypeError: Cannot read/,
    );
  });

  it('catches NaN returned silently, also inside a Float64Array', async () => {
    expect(await probe('nan', () => ({ a: [1, Number.NaN] }), [])).toMatch(/NaN silently at result\.a\.1/);
    expect(await probe('nan64', () => new Float64Array([0, Number.NaN]), [])).toMatch(/result\[1\]/);
  });

  it('catches a leak through the tensor count', async () => {
    let live = 0;
    const leak = (): void => {
      live++;
    };
    expect(await probe('leak', leak, [], { numTensors: () => live })).toMatch(/from 0 to 1/);
  });
});
