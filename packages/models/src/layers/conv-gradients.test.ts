import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { plainConvNet } from '../feedforward/plain-conv-net.js';
import { residualConvNet } from '../feedforward/residual-conv-net.js';
import { gradCheck, seededNormal } from '../test-utils/gradcheck.js';
import { conv2d } from './conv2d.js';

// Filter gradients need Conv2DBackpropFilter, which the wasm engine gets only from @gflow/backend's
// kernel fills; this file checks them on the cpu engine, which has every kernel.
describe('convolution gradients (cpu engine)', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'cpu' });
  });

  it('conv2d: kernel, bias and input gradients match finite differences (same and valid, stride 2)', () => {
    const before = tf.memory().numTensors;
    for (const [padding, stride] of [
      ['same', 1],
      ['valid', 2],
    ] as const) {
      const c = conv2d({ inputChannels: 2, outputChannels: 3, kernelSize: 3, padding, stride, seed: 1 });
      const x = tf.tidy(() => tf.variable(seededNormal([2, 5, 5, 2], 2)));
      const outShape = tf.tidy(() => c.apply(x).shape);
      const r = seededNormal(outShape, 3);
      const { mismatches } = gradCheck(
        () => tf.sum(tf.mul(tf.square(c.apply(x)), r)),
        [{ name: 'x', variable: x }, ...c.parameters()],
        { coords: 5 },
      );
      expect(mismatches).toEqual([]);
      tf.dispose([x, r]);
      c.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  for (const [name, build] of [
    [
      'plainConvNet',
      () =>
        plainConvNet({
          depth: 2,
          channels: 2,
          inputChannels: 1,
          outputSize: 2,
          activation: 'tanh',
          norm: 'batch',
          seed: 4,
        }),
    ],
    [
      'residualConvNet',
      () =>
        residualConvNet({
          depth: 2,
          channels: 2,
          inputChannels: 1,
          outputSize: 2,
          activation: 'tanh',
          seed: 5,
        }),
    ],
  ] as const) {
    it(`${name}: every parameter's gradient (filters included) matches finite differences`, () => {
      const before = tf.memory().numTensors;
      const net = build();
      const x = seededNormal([2, 4, 4, 1], 6);
      const r = seededNormal([2, 2], 7);
      const { mismatches, checked } = gradCheck(
        () => tf.sum(tf.mul(net.apply(x, { training: true, tap: (_n, t) => t }), r)),
        net.parameters(),
        { coords: 2 },
      );
      expect(checked).toBe(2 * net.parameters().length);
      expect(mismatches).toEqual([]);
      tf.dispose([x, r]);
      net.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
