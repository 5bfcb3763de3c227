import { initBackend } from '@gflow/backend';
import { InvalidArgumentError, NonFiniteError, ShapeError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { lossLine, lossLineAsync } from './loss-line.js';
import { randomDirection, randomDirectionAsync } from './random-direction.js';
import { bits, mlp } from './test-utils/models.js';
import { diagPlusRankOne, type Quadratic, quadratic } from './test-utils/quadratic.js';

const A = diagPlusRankOne([1, 2, 3, 0.5, -1, 4, 2, 1, 0.25], [0.3, -0.2, 0.1, 0.4, 0, 0.2, -0.1, 0.5, 0.3]);
const B = [0.1, -0.2, 0.3, 0, 0.5, -0.1, 0.2, 0.05, -0.3];
const THETA = [0.5, -1, 0.25, 2, 0.75, -0.5, 1, 0.1, -0.2];
const D = [1, 0, -1, 0.5, 0.5, 2, -1, 0.25, 1];
const dir = [
  { name: 'kernel', shape: [2, 3], values: D.slice(0, 6) },
  { name: 'bias', shape: [3], values: D.slice(6) },
];

let q: Quadratic;
let before: number;
beforeAll(async () => {
  await initBackend();
});
beforeEach(() => {
  q = quadratic(A, B, THETA);
  before = tf.memory().numTensors;
});
afterEach(() => {
  vi.restoreAllMocks();
  expect(tf.memory().numTensors).toBe(before);
  q.dispose();
});

const model = () => ({ name: 'q', parameters: () => q.params, apply: (x: tf.Tensor) => x });

describe('lossLineAsync', () => {
  it('matches the closed form L(θ + αd) and lossLine bit for bit, reading nothing synchronously', async () => {
    const snapshot = bits(model());
    const sync = vi.spyOn(tf.Tensor.prototype, 'dataSync').mockImplementation(() => {
      throw new Error('dataSync called');
    });
    const progress: number[] = [];
    const options = { range: [-2, 1] as [number, number], points: 7 };
    const r = await lossLineAsync(q.lossFn, q.params, dir, {
      ...options,
      onProgress: (p) => progress.push(p.done),
    });
    expect(sync).not.toHaveBeenCalled();
    sync.mockRestore();
    r.alphas.forEach((alpha, i) => {
      const want = q.at(THETA.map((t, j) => t + alpha * D[j]!));
      expect(r.losses[i]).toBeCloseTo(want, 4);
    });
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(r).toEqual(lossLine(q.lossFn, q.params, dir, options));
    expect(bits(model())).toEqual(snapshot);
  });

  it('takes a direction as tensors (read, not disposed) and lists the non-finite points as lossLine does', async () => {
    const parts = [tf.tensor2d(D.slice(0, 6), [2, 3]), tf.tensor1d(D.slice(6))];
    // L + log θ₀ with θ₀ = 0.5 + α along d (d₀ = 1): NaN for α < −0.5, i.e. at α = −4, −3, −2, −1.
    const f = () =>
      tf.tidy(
        () =>
          tf.add(
            q.lossFn(),
            tf.log(tf.slice(tf.reshape(q.params[0]!.variable, [-1]), 0, 1).sum()),
          ) as tf.Scalar,
      );
    const options = { range: [-4, 4] as [number, number], points: 9 };
    const r = await lossLineAsync(f, q.params, parts, options);
    expect(parts.every((t) => !t.isDisposed)).toBe(true);
    expect(r.nonFinite.map((p) => p.index)).toEqual([0, 1, 2, 3]);
    expect(r.losses.slice(0, 4).every(Number.isNaN)).toBe(true);
    expect(r.losses[4]).toBeCloseTo(q.at(THETA) + Math.log(0.5), 5);
    expect(r).toEqual(lossLine(f, q.params, parts, options));
    for (const t of parts) t.dispose();
  });

  it('restores the parameters when the loss throws, and rejects bad input with lossLine’s errors', async () => {
    const snapshot = bits(model());
    let calls = 0;
    const failing = () => {
      calls++;
      if (calls === 3) throw new Error('boom');
      return q.lossFn();
    };
    await expect(lossLineAsync(failing, q.params, dir)).rejects.toThrow('boom');
    expect(bits(model())).toEqual(snapshot);
    await expect(lossLineAsync(q.lossFn, q.params, dir, { points: 1 })).rejects.toThrow(InvalidArgumentError);
    await expect(lossLineAsync(q.lossFn, q.params, D.slice(1))).rejects.toThrow(ShapeError);
    await expect(lossLineAsync(q.lossFn, q.params, [...D.slice(1), Number.NaN])).rejects.toThrow(
      /lossLineAsync: direction must be finite/,
    );
    const infinite = () => tf.tidy(() => tf.div(q.lossFn(), 0) as tf.Scalar);
    await expect(lossLineAsync(infinite, q.params, dir)).rejects.toThrow(NonFiniteError);
  });
});

describe('randomDirectionAsync', () => {
  it('gives randomDirection’s direction bit for bit, each normalization, reading nothing synchronously', async () => {
    const net = mlp({ inputs: 3, hidden: 4, outputs: 2, activation: 'tanh', seed: 2 });
    for (const normalization of ['filter', 'layer', 'none'] as const) {
      const sync = vi.spyOn(tf.Tensor.prototype, 'dataSync').mockImplementation(() => {
        throw new Error('dataSync called');
      });
      const got = await randomDirectionAsync(net, { normalization, seed: 4 });
      sync.mockRestore();
      expect(got).toEqual(randomDirection(net, { normalization, seed: 4 }));
    }
    await expect(randomDirectionAsync(net, { normalization: 'rows' as never })).rejects.toThrow(
      InvalidArgumentError,
    );
    net.dispose();
  });
});
