import { initBackend } from '@gflow/backend';
import { InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomMatrix, tinyMLP } from './test-utils/tiny.js';
import { createTrainState, disposeTrainState } from './train-state.js';
import { trainStep } from './train-step.js';
import { autoClip } from './transforms/auto-clip.js';
import { clipByGlobalNorm } from './transforms/clip-by-global-norm.js';

// The caller holds the training state (optax's shape): made once, carried by every step.

beforeAll(async () => {
  await initBackend();
});

describe('createTrainState / trainStep', () => {
  it("carries autoClip's history across steps: the threshold of percentile 100 is the largest raw norm so far", () => {
    const before = tf.memory().numTensors;
    const model = tinyMLP({ sizes: [4, 6, 2], seed: 3, activation: 'tanh' });
    // A zero learning rate keeps the weights, so the raw norms differ only through the inputs.
    const optimizer = tf.train.sgd(0);
    const x = randomMatrix(8, 4, 1);
    const y = randomMatrix(8, 2, 2);
    const state = createTrainState({ transform: autoClip(100) });
    const norms: number[] = [];
    const thresholds: number[] = [];
    for (const s of [4, 1, 2, 0.5, 3]) {
      const xs = tf.mul(x, s);
      const out = trainStep(model, { inputs: xs, targets: y }, state, { optimizer });
      xs.dispose();
      norms.push(out.globalNorm);
      thresholds.push(out.info['autoClip.threshold'] as number);
    }
    // Closed form: c_t = max(‖g₁‖, …, ‖g_t‖) (numpy's linear percentile at p = 100). A history
    // that restarted every step (a state rebuilt per call) would give c_t = ‖g_t‖ instead.
    expect(norms[1]).toBeLessThan(norms[0] as number);
    thresholds.forEach((c, t) => {
      const max = Math.max(...norms.slice(0, t + 1));
      expect(Math.abs(c - max)).toBeLessThanOrEqual(1e-6 * max);
    });
    expect(state.step).toBe(5);
    disposeTrainState(state);
    disposeTrainState(state); // a second call does nothing
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a transform built inside the loop cannot add state: trainStep refuses transform, constraint and schedule options', () => {
    const before = tf.memory().numTensors;
    const model = tinyMLP({ sizes: [4, 3, 2], seed: 4 });
    const optimizer = tf.train.sgd(0.1);
    const x = randomMatrix(8, 4, 1);
    const y = randomMatrix(8, 2, 2);
    const state = createTrainState();
    const w0 = model.parameters().map((p) => Array.from(p.variable.dataSync()));
    for (const key of ['transform', 'constraint', 'schedule'] as const) {
      const value = key === 'schedule' ? () => 0.1 : clipByGlobalNorm(1);
      const call = () =>
        trainStep(model, { inputs: x, targets: y }, state, { optimizer, [key]: value } as never);
      expect(call).toThrow(InvalidArgumentError);
      expect(call).toThrow(
        new RegExp(`trainStep: options.${key} must be given to createTrainState\\(\\{ ${key} \\}\\) once`),
      );
    }
    // Refused before anything ran: no step counted, no weight moved, no tensor made.
    expect(state.step).toBe(0);
    expect(model.parameters().map((p) => Array.from(p.variable.dataSync()))).toEqual(w0);
    disposeTrainState(state);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a state not made by createTrainState, a disposed one, and bad options', () => {
    const before = tf.memory().numTensors;
    const model = tinyMLP({ sizes: [4, 3, 2], seed: 4 });
    const optimizer = tf.train.sgd(0.1);
    const x = randomMatrix(8, 4, 1);
    const y = randomMatrix(8, 2, 2);
    const batch = { inputs: x, targets: y };
    expect(() => trainStep(model, batch, { step: 0 } as never, { optimizer })).toThrow(
      /trainStep: state must be a TrainState from createTrainState, got/,
    );
    const state = createTrainState({ transform: clipByGlobalNorm(1) });
    trainStep(model, batch, state, { optimizer });
    disposeTrainState(state);
    expect(() => trainStep(model, batch, state, { optimizer })).toThrow(
      /trainStep: state must not be disposed/,
    );
    expect(() => createTrainState(null as never)).toThrow(
      /createTrainState: options must be an object, got null/,
    );
    expect(() => createTrainState({ transform: {} as never })).toThrow(
      /createTrainState: options.transform must be a transform \(init, update\)/,
    );
    expect(() => createTrainState({ schedule: 3 as never })).toThrow(InvalidArgumentError);
    expect(() => disposeTrainState({} as never)).toThrow(/disposeTrainState: state must be a TrainState/);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('two states on one model share nothing: each counts its own steps', () => {
    const before = tf.memory().numTensors;
    const model = tinyMLP({ sizes: [4, 3, 2], seed: 5 });
    const optimizer = tf.train.sgd(0.01);
    const x = randomMatrix(8, 4, 1);
    const y = randomMatrix(8, 2, 2);
    const a = createTrainState({ transform: autoClip(50) });
    const b = createTrainState({ transform: autoClip(50) });
    for (let i = 0; i < 3; i++) trainStep(model, { inputs: x, targets: y }, a, { optimizer });
    const out = trainStep(model, { inputs: x, targets: y }, b, { optimizer });
    expect([a.step, b.step]).toEqual([3, 1]);
    // b's first step sees one norm only: its threshold is that norm.
    expect(out.info['autoClip.threshold']).toBeCloseTo(out.globalNorm, 5);
    disposeTrainState(a);
    disposeTrainState(b);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
