// The Node entry's host (index.ts installs it); these tests import modules below the entry.
import './internal/node-host.js';
import { InvalidArgumentError, ShapeError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { initBackend } from './init-backend.js';
import { meanSquaredError } from './mean-squared-error.js';
import { sigmoidCrossEntropy } from './sigmoid-cross-entropy.js';
import { softmaxCrossEntropy } from './softmax-cross-entropy.js';

beforeAll(async () => {
  await initBackend();
});

function value(f: () => tf.Scalar): number {
  const before = tf.memory().numTensors;
  const v = tf.tidy(() => f().dataSync()[0]!);
  expect(tf.memory().numTensors).toBe(before);
  return v;
}

describe('losses: closed forms', () => {
  it('softmaxCrossEntropy = mean over the batch of log Σ e^z − Σ y z', () => {
    // Row 1: one-hot on class 1 of [1, 2, 3]: log(e + e² + e³) − 2 = 1.40760596.
    // Row 2: labels [0.5, 0.5, 0] on [0, 0, 0]: log 3 = 1.09861229. Mean: 1.25310912.
    const v = value(() =>
      softmaxCrossEntropy(
        tf.tensor2d([
          [0, 1, 0],
          [0.5, 0.5, 0],
        ]),
        tf.tensor2d([
          [1, 2, 3],
          [0, 0, 0],
        ]),
      ),
    );
    expect(v).toBeCloseTo((Math.log(Math.E + Math.E ** 2 + Math.E ** 3) - 2 + Math.log(3)) / 2, 5);
  });

  it('softmaxCrossEntropy stays finite for huge logits (log-sum-exp)', () => {
    const v = value(() => softmaxCrossEntropy(tf.tensor2d([[1, 0]]), tf.tensor2d([[1000, -1000]])));
    expect(v).toBeCloseTo(0, 6);
  });

  it('sigmoidCrossEntropy = mean of −y log σ(z) − (1 − y) log(1 − σ(z)), stable for large |z|', () => {
    // z = 0 gives log 2 whatever y; z = 50, y = 1 gives log(1 + e^−50) ≈ 0; z = −50, y = 1 gives 50.
    expect(value(() => sigmoidCrossEntropy(tf.tensor1d([1, 0]), tf.tensor1d([0, 0])))).toBeCloseTo(
      Math.LN2,
      6,
    );
    expect(value(() => sigmoidCrossEntropy(tf.tensor1d([1, 1]), tf.tensor1d([50, -50])))).toBeCloseTo(25, 4);
  });

  it('meanSquaredError = mean of squared differences', () => {
    expect(
      value(() =>
        meanSquaredError(
          tf.tensor2d([
            [0, 0],
            [1, 1],
          ]),
          tf.tensor2d([
            [1, 3],
            [1, 2],
          ]),
        ),
      ),
    ).toBeCloseTo(11 / 4, 6);
  });
});

describe('losses: bad input', () => {
  let before = 0;
  beforeEach(() => {
    before = tf.memory().numTensors;
  });
  afterEach(() => {
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects shape mismatches with a ShapeError naming the function and both shapes', () => {
    expect(() => tf.tidy(() => softmaxCrossEntropy(tf.zeros([2, 3]), tf.zeros([2, 4])))).toThrow(ShapeError);
    expect(() => tf.tidy(() => softmaxCrossEntropy(tf.zeros([2, 3]), tf.zeros([2, 4])))).toThrow(
      /^softmaxCrossEntropy: logits must have the shape of labels \[2, 3\], got \[2, 4\]$/,
    );
    expect(() => tf.tidy(() => meanSquaredError(tf.zeros([3]), tf.zeros([3, 1])))).toThrow(
      /meanSquaredError: predictions must have the shape/,
    );
    expect(() => tf.tidy(() => softmaxCrossEntropy(tf.scalar(1), tf.scalar(1)))).toThrow(
      /labels must have rank ≥ 1, got shape \[\]/,
    );
  });

  it('rejects non-tensors and non-float tensors', () => {
    expect(() => tf.tidy(() => sigmoidCrossEntropy([1, 0] as never, tf.zeros([2])))).toThrow(
      InvalidArgumentError,
    );
    expect(() => tf.tidy(() => sigmoidCrossEntropy([1, 0] as never, tf.zeros([2])))).toThrow(
      /sigmoidCrossEntropy: labels must be a tf.Tensor, got/,
    );
    expect(() => tf.tidy(() => meanSquaredError(tf.zeros([2], 'int32'), tf.zeros([2])))).toThrow(
      /targets must have dtype float32, got int32/,
    );
  });
});
