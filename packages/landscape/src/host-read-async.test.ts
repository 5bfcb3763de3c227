import { initBackend, meanSquaredError } from '@gflow/backend';
import { orthogonalRNN } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { hostReadVariablesOf, watchParameterReads } from '../../core/src/test-utils/host-reads.js';
import { hessianEigenvalues, hessianEigenvaluesAsync } from './hessian-eigenvalues.js';
import { lossLine, lossLineAsync } from './loss-line.js';
import { randomDirectionAsync } from './random-direction.js';

/**
 * The contract that lets the async drivers run the orthogonal RNN on webgpu: no parameter is read
 * synchronously (`dataSync`) unless its current values were awaited (`data()`) since it last
 * changed (tfjs's host copy, which a synchronous read then takes instead of the GPU). A moved or
 * trained variable gets a new dataId, so the check is per dataId. Other tensors (the loss, the
 * gradient on Node's host path, parameters not marked `hostRead`, which Node's engine may read
 * synchronously for norms) are not checked here: the async drivers read those by `data()`.
 */

function problem() {
  const net = orthogonalRNN({ inputSize: 2, hiddenSize: 6, outputSize: 1, parametrization: 'exp', seed: 3 });
  const x = tf.randomNormal([4, 5, 2], 0, 1, 'float32', 1);
  const y = tf.randomNormal([4, 1], 0, 1, 'float32', 2);
  const lossFn = () => meanSquaredError(y, net.apply(x));
  return { net, lossFn, dispose: () => tf.dispose([x, y, ...net.parameters().map((p) => p.variable)]) };
}

beforeAll(async () => {
  await initBackend();
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('async drivers on a model with host-read parameters (orthogonal RNN, exp)', () => {
  it('marks the generator hostRead and only it', () => {
    const p = problem();
    expect(
      p.net
        .parameters()
        .filter((q) => q.hostRead)
        .map((q) => q.name),
    ).toEqual(['layers.0.recurrent.skew']);
    p.dispose();
  });

  it('lossLineAsync reads no moved parameter synchronously, and matches lossLine bit for bit', async () => {
    const p = problem();
    const before = tf.memory().numTensors;
    const d = await randomDirectionAsync(p.net, { seed: 1, ignore: [] });
    const want = lossLine(p.lossFn, p.net, d, { points: 7 });
    const w = watchParameterReads(tf, hostReadVariablesOf(p.net));
    const got = await lossLineAsync(p.lossFn, p.net, d, { points: 7 });
    expect(w.stale).toEqual([]);
    expect(got.losses).toEqual(want.losses);
    expect(tf.memory().numTensors).toBe(before);
    p.dispose();
  });

  it('hessianEigenvaluesAsync (finite differences) reads no moved parameter synchronously, as the sync one', async () => {
    const p = problem();
    const before = tf.memory().numTensors;
    const options = { k: 1, extremes: false, mode: 'finite-difference', maxIter: 20 } as const;
    const want = hessianEigenvalues(p.lossFn, p.net, options);
    const w = watchParameterReads(tf, hostReadVariablesOf(p.net));
    const got = await hessianEigenvaluesAsync(p.lossFn, p.net, options);
    expect(w.stale).toEqual([]);
    expect(got.eigenvalues).toEqual(want.eigenvalues);
    expect(tf.memory().numTensors).toBe(before);
    p.dispose();
  });

  it('the sync drivers do read the moved generator synchronously (the check has teeth)', () => {
    const p = problem();
    const w = watchParameterReads(tf, hostReadVariablesOf(p.net));
    hessianEigenvalues(p.lossFn, p.net, { k: 1, extremes: false, mode: 'finite-difference', maxIter: 3 });
    expect(w.stale).toContain(p.net.parameters().find((q) => q.hostRead)?.variable.name);
    p.dispose();
  });
});
