import { initBackend } from '@gflow/backend';
import { orthogonalRNN } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { hostReadVariablesOf, watchParameterReads } from '../../core/src/test-utils/host-reads.js';
import { measureGradientFlow, measureGradientFlowAsync } from './measure-gradient-flow.js';
import { createTrainState, disposeTrainState } from './train-state.js';
import { trainStep, trainStepAsync } from './train-step.js';

/**
 * No parameter is read synchronously (`dataSync`) unless its current values were awaited
 * (`data()`) since it last changed: then on webgpu the read takes tfjs's host copy. A trained
 * variable gets a new dataId, so the check is per dataId (see landscape's host-read test).
 */

const net = () =>
  orthogonalRNN({ inputSize: 2, hiddenSize: 6, outputSize: 1, parametrization: 'exp', seed: 3 });
const values = (m: ReturnType<typeof net>) => m.parameters().map((p) => Array.from(p.variable.dataSync()));

beforeAll(async () => {
  await initBackend();
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('async drivers on a model with host-read parameters (orthogonal RNN, exp)', () => {
  it('trainStepAsync reads no trained parameter synchronously over 3 steps, and trains as trainStep', async () => {
    const x = tf.randomNormal([4, 5, 2], 0, 1, 'float32', 1);
    const y = tf.randomNormal([4, 1], 0, 1, 'float32', 2);
    const [a, b] = [net(), net()];
    const [sa, sb] = [createTrainState(), createTrainState()];
    const [oa, ob] = [tf.train.sgd(0.1), tf.train.sgd(0.1)];
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) trainStep(a, { inputs: x, targets: y }, sa, { optimizer: oa });
    const w = watchParameterReads(tf, hostReadVariablesOf(b));
    for (let i = 0; i < 3; i++) await trainStepAsync(b, { inputs: x, targets: y }, sb, { optimizer: ob });
    expect(w.stale).toEqual([]);
    vi.restoreAllMocks();
    expect(values(b)).toEqual(values(a));
    expect(tf.memory().numTensors).toBe(before);
    for (const s of [sa, sb]) disposeTrainState(s);
    tf.dispose([x, y, ...a.parameters().map((p) => p.variable), ...b.parameters().map((p) => p.variable)]);
  });

  it('measureGradientFlowAsync reads no changed parameter synchronously, and measures as the sync one', async () => {
    const x = tf.randomNormal([4, 5, 2], 0, 1, 'float32', 1);
    const y = tf.randomNormal([4, 1], 0, 1, 'float32', 2);
    const m = net();
    const skew = m.parameters().find((p) => p.hostRead)?.variable as tf.Variable;
    skew.assign(tf.mul(skew, 1.5)); // a fresh dataId, as after a training step
    const want = measureGradientFlow(m, { inputs: x, targets: y });
    skew.assign(tf.mul(skew, 1)); // another one
    const w = watchParameterReads(tf, hostReadVariablesOf(m));
    const got = await measureGradientFlowAsync(m, { inputs: x, targets: y });
    expect(w.stale).toEqual([]);
    expect(got.loss).toBe(want.loss);
    expect(got.parameters.map((p) => p.gradNorm)).toEqual(want.parameters.map((p) => p.gradNorm));
    tf.dispose([x, y, ...m.parameters().map((p) => p.variable)]);
  });
});
