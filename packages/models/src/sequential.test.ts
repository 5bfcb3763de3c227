import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { activationLayer, dense, plainMLP, sequential } from './index.js';
import { seededNormal } from './test-utils/gradcheck.js';

describe('sequential', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('chains modules, prefixes parameters and nested taps with blocks.<i>, and equals the hand composition', () => {
    const before = tf.memory().numTensors;
    const fc = dense({ inputSize: 3, outputSize: 4, seed: 1, name: 'fc' });
    const inner = plainMLP({ depth: 2, width: 4, inputSize: 4, activation: 'tanh', seed: 2 });
    const net = sequential(fc, activationLayer('relu'), inner);
    expect(net.parameters().map((p) => p.name)).toEqual([
      'blocks.0.fc.kernel',
      'blocks.0.fc.bias',
      'blocks.2.blocks.0.dense.kernel',
      'blocks.2.blocks.0.dense.bias',
      'blocks.2.blocks.1.dense.kernel',
      'blocks.2.blocks.1.dense.bias',
    ]);
    const taps: string[] = [];
    tf.tidy(() => {
      const x = seededNormal([2, 3], 3);
      const y = net.apply(x, {
        training: false,
        tap: (n, t) => {
          taps.push(n);
          return t;
        },
      });
      const want = inner.apply(tf.relu(fc.apply(x)));
      expect(Array.from(y.dataSync())).toEqual(Array.from(want.dataSync()));
    });
    expect(taps).toEqual(['blocks.0', 'blocks.1', 'blocks.2.blocks.0', 'blocks.2.blocks.1', 'blocks.2']);
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
