import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';
import { prefetchReads, type Reads, runReadsAsync, runReadsSync } from './reads.js';

/** Reads a sum and a product of two vectors, then combines them on the host. */
function* sumAndProduct(a: number[], b: number[], log: string[]): Reads<number> {
  try {
    const s = yield tf.tidy(() => tf.sum(tf.add(tf.tensor1d(a), tf.tensor1d(b))));
    const p = yield tf.tidy(() => tf.prod(tf.tensor1d(a)));
    return (s[0] as number) * 10 + (p[0] as number);
  } finally {
    log.push('finally');
  }
}

describe('runReadsSync / runReadsAsync', () => {
  it('give the values the computation asks for, the same from both drivers, and dispose each tensor read', async () => {
    const before = tf.memory().numTensors;
    const log: string[] = [];
    // sum(a + b) = 1 + 2 + 3 + 4 + 5 + 6 = 21; prod(a) = 6.
    expect(runReadsSync(sumAndProduct([1, 2, 3], [4, 5, 6], log))).toBe(216);
    expect(await runReadsAsync(sumAndProduct([1, 2, 3], [4, 5, 6], log))).toBe(216);
    expect(log).toEqual(['finally', 'finally']);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('throw a failed read into the computation (its finally runs) and dispose the tensor', async () => {
    const before = tf.memory().numTensors;
    const log: string[] = [];
    const fail = (t: tf.Tensor, how: 'dataSync' | 'data') => {
      (t as unknown as Record<string, () => never>)[how] = () => {
        throw new Error(`${how} failed`);
      };
      return t;
    };
    function* failing(how: 'dataSync' | 'data'): Reads<number> {
      try {
        const v = yield fail(tf.scalar(1), how);
        return v[0] as number;
      } finally {
        log.push(how);
      }
    }
    expect(() => runReadsSync(failing('dataSync'))).toThrow('dataSync failed');
    await expect(runReadsAsync(failing('data'))).rejects.toThrow('data failed');
    expect(log).toEqual(['dataSync', 'data']);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('let a computation catch a failed read and go on', () => {
    function* recovering(): Reads<string> {
      try {
        yield Object.assign(tf.scalar(1), {
          dataSync: () => {
            throw new Error('lost');
          },
        });
      } catch (err) {
        const v = yield tf.scalar(7);
        return `${(err as Error).message} then ${v[0]}`;
      }
      return 'unreachable';
    }
    const before = tf.memory().numTensors;
    expect(runReadsSync(recovering())).toBe('lost then 7');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a HostPrefetch: awaited (data(), not disposed) by the async driver, skipped by the sync one', async () => {
    const v = tf.variable(tf.tensor1d([1, 2]));
    const before = tf.memory().numTensors;
    const data = vi.spyOn(v, 'data');
    const dataSync = vi.spyOn(v, 'dataSync');
    function* g(): Reads<number> {
      yield* prefetchReads([v]);
      yield* prefetchReads([]); // nothing to yield
      return (yield tf.sum(v))[0] as number;
    }
    expect(runReadsSync(g())).toBe(3);
    expect(data).not.toHaveBeenCalled();
    expect(await runReadsAsync(g())).toBe(3);
    expect(data).toHaveBeenCalledTimes(1);
    expect(dataSync).not.toHaveBeenCalled();
    expect(v.isDisposed).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
    v.dispose();
  });
});
