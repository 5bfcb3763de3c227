import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { gru } from './gru.js';
import { lstm } from './lstm.js';
import type { Cell } from './rnn-core.js';
import { vanillaRNN } from './vanilla-rnn.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('Cell.forward keeps the Module contract', () => {
  it.each([
    ['vanillaRNN', () => vanillaRNN({ inputSize: 3, hiddenSize: 5, seed: 1 })],
    ['lstm', () => lstm({ inputSize: 3, hiddenSize: 5, seed: 2 })],
    ['gru', () => gru({ inputSize: 3, hiddenSize: 5, seed: 3 })],
  ])('%s: one step from the zero state equals the stack run over a sequence of length 1', (_name, make) => {
    const model = make();
    const x = tf.randomNormal([4, 3], 0, 1, 'float32', 7);
    const before = tf.memory().numTensors;
    const cell = (model as unknown as { cells: Cell[] }).cells[0] as Cell;
    const one = cell.apply(x);
    const seq = tf.tidy(() => model.apply(tf.reshape(x, [4, 1, 3])));
    const a = one.dataSync();
    const b = seq.dataSync();
    expect(one.shape).toEqual([4, 5]);
    for (let i = 0; i < a.length; i++)
      expect(Math.abs((a[i] as number) - (b[i] as number))).toBeLessThan(1e-6);
    const bad = tf.zeros([4, 2]);
    expect(() => cell.apply(bad)).toThrow(/must be \[batch, 3\]/);
    tf.dispose([one, seq, bad]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });
});
