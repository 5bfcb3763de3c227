import { initBackend } from '@gflow/backend';
import { InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GradientMonitor } from '../gradient-monitor.js';
import { instrument } from '../instrument.js';
import { tinyMLP } from '../test-utils/tiny.js';
import { createTrainState, disposeTrainState } from '../train-state.js';
import { trainStep } from '../train-step.js';
import { clipByGlobalNorm } from '../transforms/clip-by-global-norm.js';
import { scaleBySchedule } from '../transforms/scale-by-schedule.js';
import { readInfo } from '../transforms/transform.js';
import { constantSchedule } from './schedule.js';
import { warmupCosine } from './warmup-cosine.js';

beforeAll(async () => {
  await initBackend();
});

// A linear model y = Xw (2 inputs, no bias) on 4 fixed samples, trained with SGD on the mean
// squared error, one full batch per step: the gradient is g = (2/n)·Xᵀ(Xw − y) (computed here in
// float64 from the weights the step started from), and SGD's update is exactly Δw = −η_t·g.
const X = [
  [1, 2],
  [0.5, -1],
  [-1, 0.25],
  [2, 1],
];
const Y = [1, -0.5, 0.25, 2];
function gradient(w: readonly number[]): number[] {
  const n = X.length;
  const g = [0, 0];
  for (let i = 0; i < n; i++) {
    const row = X[i] as number[];
    const r =
      (row[0] as number) * (w[0] as number) + (row[1] as number) * (w[1] as number) - (Y[i] as number);
    g[0] = (g[0] as number) + (2 / n) * r * (row[0] as number);
    g[1] = (g[1] as number) + (2 / n) * r * (row[1] as number);
  }
  return g;
}

describe('instrument({ schedule }) through model.fit', () => {
  it('follows warmupCosine step by step: the rate set, the rate recorded and the rate applied', async () => {
    const schedule = warmupCosine({ init: 0.01, peak: 0.1, warmupSteps: 3, totalSteps: 10, end: 0.002 });
    const steps = 13; // warmup, decay and the constant tail
    const xs = tf.tensor2d(X);
    const ys = tf.tensor2d(Y, [4, 1]);
    const model = tf.sequential({
      layers: [tf.layers.dense({ units: 1, inputShape: [2], useBias: false, kernelInitializer: 'zeros' })],
    });
    const w0 = tf.tensor2d([[0.3], [-0.7]]);
    model.setWeights([w0]);
    w0.dispose();
    const monitor = new GradientMonitor({ histogram: false });
    const opt = instrument(tf.train.sgd(123), { schedule, monitor });
    model.compile({ optimizer: opt, loss: 'meanSquaredError' });
    const weights: number[][] = [[0.3, -0.7]];
    const setRates: number[] = [];
    const before = tf.memory().numTensors;
    await model.fit(xs, ys, {
      epochs: steps,
      batchSize: 4,
      shuffle: false,
      verbose: 0,
      callbacks: {
        onBatchEnd: async () => {
          weights.push(Array.from(model.getWeights()[0]!.dataSync()));
          setRates.push(opt.learningRate as number);
        },
      },
    });
    const records = monitor.history();
    expect(records.length).toBe(steps);
    for (let t = 0; t < steps; t++) {
      const eta = schedule(t);
      // The wrapped SGD's rate is the schedule's float64 value, exactly (123 never used).
      expect(setRates[t]).toBe(eta);
      // The monitor records it (read back through float32 like every info scalar).
      expect(records[t]!.info!['schedule.learningRate']).toBe(Math.fround(eta));
      // The applied rate: −Δw·g/‖g‖² from the observed weights, float32 weights so ~1e-4 relative.
      const w0 = weights[t] as number[];
      const w1 = weights[t + 1] as number[];
      const g = gradient(w0);
      const applied = -((w1[0]! - w0[0]!) * g[0]! + (w1[1]! - w0[1]!) * g[1]!) / (g[0]! ** 2 + g[1]! ** 2);
      expect(Math.abs(applied - eta)).toBeLessThanOrEqual(1e-4 * eta);
    }
    // The warmup and the decay are both in there: rates 0.01, 0.04, 0.07, 0.1, …, 0.002.
    expect(schedule(0)).toBe(0.01);
    expect(schedule(3)).toBe(0.1);
    expect(schedule(12)).toBe(0.002);
    monitor.dispose();
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    model.dispose();
    tf.dispose([xs, ys]);
  });

  it('keeps a transform working under a schedule, and goes on from a rate changed between steps', () => {
    const before = tf.memory().numTensors;
    const v = tf.tidy(() =>
      tf.variable(tf.tensor1d([0, 0]), true, `sched.v.${Math.random().toString(36).slice(2)}`),
    );
    const schedule = warmupCosine({ peak: 1, warmupSteps: 2, totalSteps: 6, init: 0.5 });
    const opt = instrument(tf.train.sgd(1), { schedule, transform: clipByGlobalNorm(1) });
    const step = (g: number[]) => {
      const grad = tf.tensor1d(g);
      opt.applyGradients({ [v.name]: grad });
      grad.dispose();
    };
    // Step 0: rate 0.5; g = (3, 4) clipped to (0.6, 0.8): v = −0.5·(0.6, 0.8).
    step([3, 4]);
    expect(opt.learningRate).toBe(0.5);
    expect(opt.lastOutcome!.info['clipByGlobalNorm.norm']).toBeCloseTo(5, 5);
    expect(opt.lastOutcome!.info['schedule.learningRate']).toBe(0.5);
    expect(Array.from(v.dataSync())[0]).toBeCloseTo(-0.3, 6);
    // Someone (a guard's lower-lr) halves the rate: from then on η = ½·schedule(t).
    opt.learningRate = 0.25;
    step([0, 0]);
    expect(opt.learningRate).toBe(0.5 * schedule(1));
    step([0, 0]);
    expect(opt.learningRate).toBe(0.5 * schedule(2));
    opt.dispose();
    v.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a schedule that is not a function, an optimizer without a rate, and bad values', () => {
    const before = tf.memory().numTensors;
    const sgd = tf.train.sgd(1);
    expect(() => instrument(sgd, { schedule: 0.1 as never })).toThrow(
      /instrument: options.schedule must be a schedule \(a function step → rate\), got 0.1/,
    );
    sgd.dispose();
    const rateless = tf.train.sgd(1);
    (rateless as unknown as { learningRate: unknown }).learningRate = undefined;
    expect(() => instrument(rateless, { schedule: constantSchedule(1) })).toThrow(
      /instrument: a schedule needs an optimizer with a numeric learningRate/,
    );
    rateless.dispose();
    const v = tf.tidy(() =>
      tf.variable(tf.tensor1d([1]), true, `sched.bad.${Math.random().toString(36).slice(2)}`),
    );
    const opt = instrument(tf.train.sgd(1), { schedule: (t) => (t === 0 ? 1 : Number.NaN) });
    const g = tf.tensor1d([1]);
    opt.applyGradients({ [v.name]: g });
    expect(() => opt.applyGradients({ [v.name]: g })).toThrow(InvalidArgumentError);
    expect(() => opt.applyGradients({ [v.name]: g })).toThrow(
      /instrument: the schedule must return a finite rate ≥ 0, got NaN at step 1/,
    );
    // The failed steps changed nothing: v = 1 − 1·1 = 0 after the one good step.
    expect(v.dataSync()[0]).toBe(0);
    g.dispose();
    opt.dispose();
    v.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('schedules in trainStep', () => {
  it('the schedule option sets the rate and the monitor records it', () => {
    const model = tinyMLP({ sizes: [3, 4, 1], seed: 2 });
    const x = tf.tensor2d([0.1, 0.2, 0.3, -0.4, 0.5, -0.6], [2, 3]);
    const y = tf.tensor2d([0.5, -0.5], [2, 1]);
    const optimizer = tf.train.adam(1);
    const monitor = new GradientMonitor({ histogram: false });
    const schedule = warmupCosine({ peak: 0.01, warmupSteps: 2, totalSteps: 5 });
    const before = tf.memory().numTensors;
    const state = createTrainState({ schedule, transform: clipByGlobalNorm(10) });
    for (let t = 0; t < 6; t++) {
      trainStep(model, { inputs: x, targets: y }, state, { optimizer, monitor });
      expect((optimizer as unknown as { learningRate: number }).learningRate).toBe(schedule(t));
    }
    expect(monitor.history().map((r) => r.info?.['schedule.learningRate'])).toEqual(
      [0, 1, 2, 3, 4, 5].map((t) => Math.fround(schedule(t))),
    );
    disposeTrainState(state);
    monitor.dispose();
    // Adam's two moment slots per parameter remain (created lazily at the first step).
    expect(tf.memory().numTensors).toBe(before + 2 * model.parameters().length);
    optimizer.dispose();
    model.dispose();
    tf.dispose([x, y]);
  });

  it('scaleBySchedule multiplies the gradients by η_t and counts its steps', () => {
    const before = tf.memory().numTensors;
    const t = scaleBySchedule(warmupCosine({ peak: 2, warmupSteps: 2, totalSteps: 4 }));
    const grads = { a: tf.tensor1d([1, -2]), b: tf.tensor2d([[4]]) };
    let state = t.init(grads);
    const seen: number[][] = [];
    const rates: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = t.update(grads, state);
      state = r.state;
      seen.push([...r.grads.a!.dataSync(), ...r.grads.b!.dataSync()]);
      rates.push(readInfo(r.info)['scaleBySchedule.rate']!);
      tf.dispose(Object.values(r.grads));
    }
    // η = 0, 1, 2, ½(1 + cos(π/2))·2 = 1, 0.
    const eta = [0, 1, 2, 1, 0];
    rates.forEach((r, i) => {
      expect(Math.abs(r - eta[i]!)).toBeLessThanOrEqual(1e-6);
    });
    seen.forEach((g, i) => {
      const e = eta[i]!;
      expect(g[0]).toBeCloseTo(e * 1, 6);
      expect(g[1]).toBeCloseTo(e * -2, 6);
      expect(g[2]).toBeCloseTo(e * 4, 6);
    });
    expect(state.count).toBe(5);
    expect(() => scaleBySchedule('fast' as never)).toThrow(/scaleBySchedule: schedule must be a schedule/);
    const bad = scaleBySchedule(() => -1);
    expect(() => bad.update(grads, bad.init(grads))).toThrow(
      /scaleBySchedule: the schedule must return a finite rate ≥ 0, got -1 at step 0/,
    );
    tf.dispose(Object.values(grads));
    expect(tf.memory().numTensors).toBe(before);
  });
});
