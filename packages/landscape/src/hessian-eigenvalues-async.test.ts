import { initBackend, softmaxCrossEntropy } from '@gflow/backend';
import { InvalidArgumentError, NonFiniteError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { hessianEigenvalues, hessianEigenvaluesAsync } from './hessian-eigenvalues.js';
import { bits, classification, mlp } from './test-utils/models.js';
import { type Quadratic, quadratic } from './test-utils/quadratic.js';

// H = diag(5, −3, 2, 1, 0.5, 0.25, 4, −1, 0.1) (closed form): by magnitude 5, 4, −3.
const DIAG = [5, -3, 2, 1, 0.5, 0.25, 4, -1, 0.1];
const A = DIAG.map((d, i) => DIAG.map((_, j) => (i === j ? d : 0)));
const THETA = [0.5, -1, 0.25, 2, 0.75, -0.5, 1, 0.1, -0.2];

let q: Quadratic;
let before: number;
beforeAll(async () => {
  await initBackend();
});
beforeEach(() => {
  q = quadratic(A, new Array(9).fill(0.1), THETA);
  before = tf.memory().numTensors;
});
afterEach(() => {
  vi.restoreAllMocks();
  expect(tf.memory().numTensors).toBe(before);
  q.dispose();
});

/** A tanh MLP 4-6-3 under softmax cross-entropy: exact products, the self-check and the cross-check all run. */
function tanhProblem() {
  const net = mlp({ inputs: 4, hidden: 6, outputs: 3, activation: 'tanh', seed: 3 });
  const data = classification(5, 8, [4], 3);
  const lossFn = () => tf.tidy(() => softmaxCrossEntropy(data.ys, net.apply(data.xs)) as tf.Scalar);
  const dispose = () => {
    net.dispose();
    data.xs.dispose();
    data.ys.dispose();
  };
  return { net, lossFn, dispose };
}

describe('hessianEigenvaluesAsync', () => {
  // First in the file: the engine's second-derivative self-check (cached per engine) runs here.
  it("reads nothing synchronously: with dataSync failing, 'auto' runs its self-check, cross-check and search", async () => {
    const p = tanhProblem();
    const sync = vi.spyOn(tf.Tensor.prototype, 'dataSync').mockImplementation(() => {
      throw new Error('dataSync called');
    });
    const r = await hessianEigenvaluesAsync(p.lossFn, p.net, { k: 2 });
    expect(sync).not.toHaveBeenCalled();
    sync.mockRestore();
    expect(r.mode).toBe('exact');
    expect(r.modeReason).toMatch(
      /passed the second-derivative self-check; the first product matched finite differences/,
    );
    // The same search with synchronous reads gives the same numbers, bit for bit.
    const want = hessianEigenvalues(p.lossFn, p.net, { k: 2 });
    expect(r).toEqual(want);
    expect(r.converged).toEqual([true, true]);
    p.dispose();
  });

  for (const method of ['power', 'lanczos'] as const) {
    it(`${method}: the closed-form eigenvalues 5, 4, −3, and exactly hessianEigenvalues' result`, async () => {
      const snapshot = bits({ name: 'q', parameters: () => q.params, apply: (x: tf.Tensor) => x });
      const options = { k: 3, method, tol: 1e-6, maxIter: method === 'power' ? 400 : 9, returnVectors: true };
      const r = await hessianEigenvaluesAsync(q.lossFn, q.params, options);
      expect(r.eigenvalues.map((x) => Number(x.toFixed(4)))).toEqual([5, 4, -3]);
      expect(r.lambdaMin).toBeCloseTo(-3, 4);
      expect(r).toEqual(hessianEigenvalues(q.lossFn, q.params, options));
      expect(bits({ name: 'q', parameters: () => q.params, apply: (x: tf.Tensor) => x })).toEqual(snapshot);
    });
  }

  it('finite differences: the same result, and the parameters restored when the loss throws', async () => {
    const m = { name: 'q', parameters: () => q.params, apply: (x: tf.Tensor) => x };
    const snapshot = bits(m);
    const options = { k: 2, mode: 'finite-difference' as const, tol: 1e-6, maxIter: 300 };
    const r = await hessianEigenvaluesAsync(q.lossFn, q.params, options);
    expect(r.eigenvalues[0]).toBeCloseTo(5, 2);
    expect(r).toEqual(hessianEigenvalues(q.lossFn, q.params, options));
    let calls = 0;
    const failing = () => {
      calls++;
      if (calls === 5) throw new Error('boom');
      return q.lossFn();
    };
    await expect(hessianEigenvaluesAsync(failing, q.params, { mode: 'finite-difference' })).rejects.toThrow(
      'boom',
    );
    expect(bits(m)).toEqual(snapshot);
  });

  it('rejects bad input with the errors of hessianEigenvalues', async () => {
    await expect(hessianEigenvaluesAsync(q.lossFn, q.params, { k: 10 })).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(hessianEigenvaluesAsync(q.lossFn, q.params, { k: 10 })).rejects.toThrow(
      /hessianEigenvaluesAsync: options.k must be an integer in \[1, 9\]/,
    );
    await expect(hessianEigenvaluesAsync(q.lossFn, q.params, { tol: 0 })).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(hessianEigenvaluesAsync(q.lossFn, q.params, { k: 3, basisSize: 5 })).rejects.toThrow(
      /options.basisSize must be at least k \+ 4 = 7/,
    );
    const infinite = () => tf.tidy(() => tf.div(q.lossFn(), 0) as tf.Scalar);
    await expect(hessianEigenvaluesAsync(infinite, q.params)).rejects.toThrow(NonFiniteError);
    await expect(hessianEigenvaluesAsync(infinite, q.params)).rejects.toThrow(
      /hessianEigenvaluesAsync: the loss at the current parameters must be finite, got Infinity/,
    );
  });
});
