import { initBackend } from '@gflow/backend';
import { InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { highwayMLP, plainConvNet, plainMLP, residualConvNet, residualMLP } from '../index.js';
import { seededNormal } from '../test-utils/gradcheck.js';
import { defaultGroups } from './norm.js';

const ff = { depth: 2, width: 32, inputSize: 5, seed: 4 };

describe("feedforward builders with norm: 'group' | 'weight'", () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('defaultGroups keeps at least 16 channels per group (one group below 32)', () => {
    expect([1, 8, 16, 31, 32, 48, 64, 100, 256].map(defaultGroups)).toEqual([1, 1, 1, 1, 2, 3, 4, 5, 16]);
  });

  it("norm: 'group' puts a group norm after each block's dense layer: per example and group, mean 0 and variance 1", () => {
    const before = tf.memory().numTensors;
    const net = plainMLP({ ...ff, activation: 'linear', norm: 'group' });
    expect(net.parameters().map((p) => p.name)).toEqual([
      'blocks.0.dense.kernel',
      'blocks.0.dense.bias',
      'blocks.0.norm.gamma',
      'blocks.0.norm.beta',
      'blocks.1.dense.kernel',
      'blocks.1.dense.bias',
      'blocks.1.norm.gamma',
      'blocks.1.norm.beta',
    ]);
    tf.tidy(() => {
      // 32 features in 2 groups of 16; with γ = 1, β = 0 and a linear activation the tapped block
      // output is the normalized value (ε = 1e-5 against a variance of order 1: variance ≈ 1 − 1e-5)
      const y = net.apply(seededNormal([3, 5], 1));
      const { mean, variance } = tf.moments(tf.reshape(y, [3, 2, 16]), 2);
      for (const m of mean.dataSync()) expect(Math.abs(m)).toBeLessThan(1e-6);
      for (const v of variance.dataSync()) expect(Math.abs(v - 1)).toBeLessThan(1e-3);
    });
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("norm: 'weight' reparametrizes the dense layers and starts as the same function as norm: 'none'", () => {
    const before = tf.memory().numTensors;
    const pairs = [
      [plainMLP({ ...ff, norm: 'weight', outputSize: 2 }), plainMLP({ ...ff, outputSize: 2 })],
      [residualMLP({ ...ff, norm: 'weight' }), residualMLP(ff)],
      [highwayMLP({ ...ff, norm: 'weight' }), highwayMLP(ff)],
    ] as const;
    expect(pairs[0][0].parameters().map((p) => p.name)).toEqual([
      'blocks.0.dense.v',
      'blocks.0.dense.g',
      'blocks.0.dense.bias',
      'blocks.1.dense.v',
      'blocks.1.dense.g',
      'blocks.1.dense.bias',
      'readout.kernel',
      'readout.bias',
    ]);
    expect(pairs[1][0].parameters().some((p) => p.name === 'stem.v')).toBe(true);
    expect(pairs[2][0].parameters().some((p) => p.name === 'blocks.0.transform.g')).toBe(true);
    tf.tidy(() => {
      const x = seededNormal([4, 5], 2);
      for (const [wn, plain] of pairs) {
        const a = wn.apply(x).dataSync();
        const b = plain.apply(x).dataSync();
        let num = 0;
        let den = 0;
        for (let i = 0; i < a.length; i++) {
          num += ((a[i] as number) - (b[i] as number)) ** 2;
          den += (b[i] as number) ** 2;
        }
        // w = g·v/‖v‖ with g = ‖v‖ equals v up to float32 rounding of the division
        expect(Math.sqrt(num / den)).toBeLessThan(1e-5);
      }
    });
    for (const p of pairs) for (const m of p) m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("conv nets take 'group' (NHWC, statistics over positions and the group's channels) but not 'weight'", () => {
    const before = tf.memory().numTensors;
    const net = residualConvNet({ depth: 1, channels: 32, inputChannels: 1, norm: 'group' });
    tf.tidy(() => {
      expect(net.apply(seededNormal([2, 4, 4, 1], 3)).shape).toEqual([2, 4, 4, 32]);
    });
    net.dispose();
    expect(() => plainConvNet({ depth: 1, channels: 2, inputChannels: 1, norm: 'weight' as never })).toThrow(
      InvalidArgumentError,
    );
    expect(() => plainConvNet({ depth: 1, channels: 2, inputChannels: 1, norm: 'weight' as never })).toThrow(
      /^plainConvNet: options\.norm must be one of 'none', 'batch', 'layer', 'group', got "weight"$/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});
