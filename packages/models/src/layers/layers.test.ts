import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { gradCheck, seededNormal } from '../test-utils/gradcheck.js';
import { BatchNormLayer, batchNorm } from './batch-norm.js';
import { conv2d } from './conv2d.js';
import { dense } from './dense.js';
import { dropout } from './dropout.js';
import { layerNorm } from './layer-norm.js';

const train = { training: true, tap: (_n: string, t: tf.Tensor) => t };

describe('layers', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('dense computes x·W + b (hand-computed)', () => {
    const before = tf.memory().numTensors;
    const d = dense({ inputSize: 2, outputSize: 2 });
    const [k, b] = d.parameters();
    tf.tidy(() => {
      k?.variable.assign(
        tf.tensor2d([
          [1, 2],
          [3, 4],
        ]),
      );
      b?.variable.assign(tf.tensor1d([0.5, -1]));
      // [1, 1]·[[1, 2], [3, 4]] + [0.5, −1] = [4.5, 5]
      expect(Array.from(d.apply(tf.tensor2d([[1, 1]])).dataSync())).toEqual([4.5, 5]);
      // rank 3 input works over the last axis
      expect(d.apply(tf.ones([2, 3, 2])).shape).toEqual([2, 3, 2]);
    });
    expect(d.parameters().map((p) => [p.name, p.role])).toEqual([
      ['dense.kernel', 'kernel'],
      ['dense.bias', 'bias'],
    ]);
    d.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('conv2d with a ones kernel counts the neighbours in the window (same padding)', () => {
    const before = tf.memory().numTensors;
    const c = conv2d({ inputChannels: 1, outputChannels: 1, kernelSize: 3, bias: false, init: 'ones' });
    tf.tidy(() => {
      const y = c.apply(tf.ones([1, 3, 3, 1])).dataSync();
      // corners see 4 pixels, edges 6, the centre 9
      expect(Array.from(y)).toEqual([4, 6, 4, 6, 9, 6, 4, 6, 4]);
    });
    c.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('conv2d with the identity (Dirac) initializer is the identity map', () => {
    const c = conv2d({ inputChannels: 3, outputChannels: 3, kernelSize: 3, bias: false, init: 'identity' });
    tf.tidy(() => {
      const x = seededNormal([2, 5, 5, 3], 1);
      expect(Array.from(c.apply(x).dataSync())).toEqual(Array.from(x.dataSync()));
    });
    c.dispose();
  });

  it('batchNorm normalizes with batch statistics in training and running statistics in inference', () => {
    const before = tf.memory().numTensors;
    const bn = new BatchNormLayer({ size: 2, momentum: 0.5 });
    tf.tidy(() => {
      const x = tf.tensor2d([
        [1, 10],
        [3, 20],
        [5, 30],
      ]);
      const y = bn.apply(x, train);
      const { mean, variance } = tf.moments(y, 0);
      for (const m of mean.dataSync()) expect(Math.abs(m)).toBeLessThan(1e-6);
      // biased variance of the normalized output: σ²/(σ² + ε)
      expect(variance.dataSync()[0]).toBeCloseTo(8 / 3 / (8 / 3 + 1e-5), 5);
      // running mean = 0.5·0 + 0.5·[3, 20]; running variance = 0.5·1 + 0.5·unbiased [4, 100]
      expect(Array.from(bn.runningMean.dataSync())).toEqual([1.5, 10]);
      expect(Array.from(bn.runningVariance.dataSync())).toEqual([2.5, 50.5]);
      // inference: (x − 1.5)/√(2.5 + ε)
      const yi = bn.apply(tf.tensor2d([[1.5 + Math.sqrt(2.5), 10]]), { training: false, tap: (_n, t) => t });
      expect(yi.dataSync()[0]).toBeCloseTo(1, 5);
      expect(yi.dataSync()[1]).toBeCloseTo(0, 6);
    });
    bn.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('layerNorm gives each example mean 0 and variance 1 over its features', () => {
    const ln = layerNorm({ size: 4, epsilon: 0 });
    tf.tidy(() => {
      const y = ln.apply(
        tf.tensor2d([
          [1, 2, 3, 4],
          [-5, 0, 5, 10],
        ]),
      );
      const { mean, variance } = tf.moments(y, 1);
      for (const m of mean.dataSync()) expect(Math.abs(m)).toBeLessThan(1e-6);
      for (const v of variance.dataSync()) expect(v).toBeCloseTo(1, 5);
    });
    ln.dispose();
  });

  it('dropout: identity in inference; in training zeroes about p and scales by 1/(1 − p), seeded', () => {
    const before = tf.memory().numTensors;
    const a = dropout({ rate: 0.25, seed: 3 });
    const b = dropout({ rate: 0.25, seed: 3 });
    tf.tidy(() => {
      const x = tf.ones([100, 100]);
      expect(
        a
          .apply(x)
          .dataSync()
          .every((v) => v === 1),
      ).toBe(true);
      const ya = a.apply(x, train).dataSync();
      const yb = b.apply(x, train).dataSync();
      expect(Array.from(ya)).toEqual(Array.from(yb));
      const zeros = ya.filter((v) => v === 0).length / ya.length;
      // binomial(10⁴, 0.25): sd 0.0043, allow 5 sd
      expect(Math.abs(zeros - 0.25)).toBeLessThan(0.022);
      for (const v of ya) if (v !== 0) expect(v).toBeCloseTo(1 / 0.75, 5);
      // a second call draws a fresh mask
      expect(Array.from(a.apply(x, train).dataSync())).not.toEqual(Array.from(ya));
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('dense, batchNorm and layerNorm gradients match finite differences (input and parameters)', () => {
    const before = tf.memory().numTensors;
    for (const layer of [
      dense({ inputSize: 3, outputSize: 2, seed: 1 }),
      batchNorm({ size: 3 }),
      layerNorm({ size: 3 }),
    ]) {
      const x = tf.tidy(() => tf.variable(seededNormal([4, 3], 2)));
      const outShape = tf.tidy(() => layer.apply(x, train).shape);
      const r = seededNormal(outShape, 3);
      // a nonlinear loss Σ r⊙y² so that batch/layer norm's centring does not zero the gradient
      const loss = (): tf.Scalar => tf.sum(tf.mul(tf.square(layer.apply(x, train)), r));
      const { mismatches } = gradCheck(loss, [{ name: 'x', variable: x }, ...layer.parameters()], {
        coords: 3,
      });
      expect(mismatches).toEqual([]);
      x.dispose();
      r.dispose();
      layer.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
