import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GradientMonitor } from './gradient-monitor.js';
import type { StepRecord } from './step-record.js';
import { watchFlow } from './watch-flow.js';

beforeAll(async () => {
  await initBackend();
});

let id = 0;
/** x ↦ (x·W1)·W2 without biases, W1 = [[1, 0], [0, 1], [1, −1]], W2 = [[0.5], [2]]. */
function linearModel() {
  const k = ++id;
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ name: `wfh${k}`, units: 2, inputShape: [3], useBias: false }),
      tf.layers.dense({ name: `wfo${k}`, units: 1, useBias: false }),
    ],
  });
  const w1 = tf.tensor2d([
    [1, 0],
    [0, 1],
    [1, -1],
  ]);
  const w2 = tf.tensor2d([[0.5], [2]]);
  model.layers[0]!.setWeights([w1]);
  model.layers[1]!.setWeights([w2]);
  tf.dispose([w1, w2]);
  return { model, h: `wfh${k}`, o: `wfo${k}` };
}

describe('watchFlow', () => {
  it('measures the held batch before training and every `every` steps of model.fit, to the monitor’s loggers', async () => {
    const before = tf.memory().numTensors;
    const { model, h, o } = linearModel();
    const optimizer = tf.train.sgd(0.01);
    model.compile({ optimizer, loss: 'meanSquaredError' });
    const batch = { inputs: tf.tensor2d([[1, 2, 3]]), targets: tf.tensor2d([[1]]) };
    const lines: StepRecord[] = [];
    const extra: number[] = [];
    const monitor = new GradientMonitor({ loggers: [{ log: (r) => void lines.push(r) }] });
    const cb = watchFlow(model, {
      every: 2,
      batch,
      monitor,
      loggers: [{ log: (r) => void extra.push(r.step) }],
      histograms: { every: 4 },
    });
    const xs = tf.randomNormal([12, 3], 0, 1, 'float32', 5);
    const ys = tf.randomNormal([12, 1], 0, 1, 'float32', 6);
    // 12 samples in batches of 4, 2 epochs: 6 optimizer steps.
    await model.fit(xs, ys, { epochs: 2, batchSize: 4, shuffle: false, verbose: 0, callbacks: [cb] });

    expect(lines.map((r) => r.step)).toEqual([0, 2, 4, 6]);
    expect(extra).toEqual([0, 2, 4, 6]);
    expect(cb.measurements).toBe(4);
    expect(lines.every((r) => r.source === 'watchFlow')).toBe(true);
    expect(monitor.size).toBe(0); // held-batch records stay out of the training history

    // Step 0, by hand: h = x·W1 = (4, −1); y = h·W2 = 0; L = (y − t)² = 1; ∂L/∂y = −2;
    // ∂L/∂h = −2·W2ᵀ = (−1, −4), ‖·‖ = √17; ∂L/∂W2 = hᵀ·(−2) = (−8, 2)ᵀ, ‖·‖² = 68;
    // ∂L/∂W1 = xᵀ·(−1, −4): entries −1, −4, −2, −8, −3, −12, ‖·‖² = 238.
    const r0 = lines[0]!;
    expect(r0.loss).toBeCloseTo(1, 6);
    expect(r0.taps!.map((t) => t.name)).toEqual([`layers.${h}`, `layers.${o}`]);
    expect(r0.taps![0]!.gradNorm).toBeCloseTo(Math.sqrt(17), 5);
    expect(r0.taps![1]!.gradNorm).toBeCloseTo(2, 5);
    expect(r0.globalNorm).toBeCloseTo(Math.sqrt(238 + 68), 4);
    const p = Object.fromEntries(r0.parameters.map((q) => [q.name, q]));
    expect(p[`${h}.kernel`]!.gradNorm).toBeCloseTo(Math.sqrt(238), 4);
    expect(p[`${h}.kernel`]!.weightNorm).toBeCloseTo(2, 6); // 1 + 1 + 1 + 1
    expect(p[`${o}.kernel`]!.gradNorm).toBeCloseTo(Math.sqrt(68), 4);
    expect(r0.finite).toBe(true);

    // Histograms at steps 0 and 4 (histograms.every = 4), of every parameter's gradient and weights.
    expect(lines.map((r) => r.histograms !== undefined)).toEqual([true, false, true, false]);
    const hs = Object.fromEntries(r0.histograms!.map((x) => [x.tag, x]));
    expect(Object.keys(hs).sort()).toEqual(
      [
        `gradients/${h}.kernel`,
        `gradients/${o}.kernel`,
        `parameters/${h}.kernel`,
        `parameters/${o}.kernel`,
      ].sort(),
    );
    expect(hs[`gradients/${h}.kernel`]).toMatchObject({ min: -12, max: -1, num: 6, nonFinite: 0 });
    expect(hs[`gradients/${h}.kernel`]!.sum).toBeCloseTo(-30, 4);
    expect(hs[`gradients/${h}.kernel`]!.sumSquares).toBeCloseTo(238, 3);
    expect(hs[`gradients/${o}.kernel`]).toMatchObject({ min: -8, max: 2, num: 2 });
    expect(hs[`parameters/${o}.kernel`]).toMatchObject({
      min: 0.5,
      max: 2,
      num: 2,
      sum: 2.5,
      sumSquares: 4.25,
    });
    expect(hs[`parameters/${h}.kernel`]).toMatchObject({ min: -1, max: 1, num: 6, sum: 2, sumSquares: 4 });
    // The weights moved during training, so the step-4 weight histogram differs from step 0's.
    const w4 = lines[2]!.histograms!.find((x) => x.tag === `parameters/${o}.kernel`)!;
    expect(w4.sum).not.toBe(2.5);

    // A second fit goes on counting steps and does not measure step 0 again.
    await model.fit(xs, ys, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0, callbacks: [cb] });
    expect(lines.map((r) => r.step)).toEqual([0, 2, 4, 6, 8]);

    monitor.dispose();
    tf.dispose([xs, ys, batch.inputs, batch.targets]);
    model.dispose();
    optimizer.dispose(); // a tf.train optimizer is the caller's, not the model's
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a missing batch, a bad interval and a loss it cannot reproduce', () => {
    const before = tf.memory().numTensors;
    const { model } = linearModel();
    const batch = { inputs: tf.zeros([1, 3]), targets: tf.zeros([1, 1]) };
    model.compile({ optimizer: 'sgd', loss: 'meanAbsoluteError' });
    expect(() => watchFlow(model, {} as never)).toThrow(
      /watchFlow: options.batch must be \{ inputs, targets \}/,
    );
    expect(() => watchFlow(model, { batch, every: 0 })).toThrow(/watchFlow: options.every/);
    expect(() => watchFlow(model, { batch, every: 10, histograms: { every: 15 } })).toThrow(
      /watchFlow: options.histograms.every must be a multiple of options.every \(10\), got 15/,
    );
    expect(() => watchFlow(model, { batch })).toThrow(/watchFlow: options.loss is needed/);
    expect(watchFlow(model, { batch, loss: 'meanSquaredError', histograms: false }).measurements).toBe(0);
    tf.dispose([batch.inputs, batch.targets]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
