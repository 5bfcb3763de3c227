import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@gflow/backend';
import { NonFiniteError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GradientMonitor } from './gradient-monitor.js';
import { checkHealth } from './health.js';
import { instrument } from './instrument.js';
import { optimizerSlots } from './internal/optimizer-state.js';
import { randomMatrix, tinyMLP } from './test-utils/tiny.js';
import { releaseTrainState, trainStep } from './train-step.js';
import { TrainingGuard } from './training-guard.js';
import { clipByGlobalNorm } from './transforms/clip-by-global-norm.js';
import { spectralNormalization } from './transforms/spectral-normalization.js';

beforeAll(async () => {
  await initBackend();
});

const dir = mkdtempSync(join(tmpdir(), 'gflow-guard-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function denseModel(seed: number): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({
        units: 8,
        inputShape: [4],
        activation: 'tanh',
        kernelInitializer: tf.initializers.glorotNormal({ seed }),
      }),
      tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotNormal({ seed: seed + 1 }) }),
    ],
  });
}

const weightsOf = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));

describe('instrument + model.fit', () => {
  it('leaves training unchanged when it only monitors, and records every step', async () => {
    const xs = randomMatrix(32, 4, 1);
    const ys = tf.tidy(() => tf.sum(xs, 1, true));
    const plain = denseModel(3);
    const watched = denseModel(3);
    plain.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
    const monitor = new GradientMonitor({ capacity: 100 });
    watched.compile({ optimizer: instrument(tf.train.adam(0.01), { monitor }), loss: 'meanSquaredError' });
    await plain.fit(xs, ys, { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
    const before = tf.memory().numTensors;
    await watched.fit(xs, ys, { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
    // 3 epochs × 4 batches = 12 steps.
    expect(monitor.size).toBe(12);
    expect(monitor.history().map((r) => r.step)).toEqual([...Array(12).keys()]);
    const a = weightsOf(plain);
    const b = weightsOf(watched);
    a.forEach((w, i) => {
      for (const [j, x] of w.entries()) expect(b[i]![j]).toBeCloseTo(x, 6);
    });
    const r = monitor.latest()!;
    expect(r.parameters.map((p) => p.name)).toEqual(
      watched.trainableWeights.map((w) => (w.read() as tf.Variable).name),
    );
    expect(r.loss).toBeGreaterThan(0);
    expect(r.parameters.every((p) => (p.updateRatio ?? 0) > 0)).toBe(true);
    monitor.dispose();
    // What remains is Adam's two moment slots per variable, created lazily by the first step.
    expect(tf.memory().numTensors).toBe(before + 2 * watched.trainableWeights.length);
    plain.dispose();
    watched.dispose();
    tf.dispose([xs, ys]);
  });

  it('clips through model.fit and reports the norm before clipping', async () => {
    const xs = randomMatrix(16, 4, 2);
    const ys = tf.tidy(() => tf.mul(tf.sum(xs, 1, true), 100));
    const model = denseModel(5);
    const monitor = new GradientMonitor({ histogram: false });
    const opt = instrument(tf.train.sgd(0.001), { transform: clipByGlobalNorm(0.5), monitor });
    model.compile({ optimizer: opt, loss: 'meanSquaredError' });
    const w0 = weightsOf(model);
    await model.fit(xs, ys, { epochs: 1, batchSize: 16, verbose: 0 });
    const rec = monitor.latest()!;
    const norm = rec.info!['clipByGlobalNorm.norm']!;
    expect(norm).toBeCloseTo(rec.globalNorm, 3);
    expect(norm).toBeGreaterThan(0.5);
    // The SGD step moved the weights by exactly lr × 0.5 in global norm.
    const w1 = weightsOf(model);
    const moved = Math.sqrt(w0.flat().reduce((s, x, i) => s + (x - w1.flat()[i]!) ** 2, 0));
    expect(moved).toBeCloseTo(0.001 * 0.5, 6);
    monitor.dispose();
    opt.dispose();
    model.dispose();
    tf.dispose([xs, ys]);
  });
});

describe('instrument + model.fit + guard', () => {
  it('a batch with NaN inputs is skipped and the weights stay finite', async () => {
    const xs = tf.tidy(() => {
      const x = randomMatrix(32, 4, 5);
      // Rows 16..23 (the third batch of 8) hold NaN.
      const mask = tf.concat([tf.ones([16, 4]), tf.fill([8, 4], Number.NaN), tf.ones([8, 4])]);
      return tf.mul(x, mask);
    });
    const ys = tf.tidy(() => tf.ones([32, 1]));
    const fit = async (guard?: TrainingGuard) => {
      const model = denseModel(7);
      const opt = instrument(tf.train.adam(0.01), guard ? { guard } : {});
      model.compile({ optimizer: opt, loss: 'meanSquaredError' });
      await model.fit(xs, ys, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
      const w = weightsOf(model).flat();
      model.dispose();
      opt.dispose();
      return w;
    };
    const guard = new TrainingGuard({ snapshotEvery: 2 });
    const guarded = await fit(guard);
    expect(guarded.every(Number.isFinite)).toBe(true);
    expect(guard.events.map((e) => [e.step, e.reason])).toEqual([
      [2, 'non-finite'],
      [6, 'non-finite'],
    ]);
    guard.dispose();
    // Control: the same fit without a guard ends with NaN weights.
    expect((await fit()).some(Number.isNaN)).toBe(true);
    tf.dispose([xs, ys]);
  });
});

describe('trainStep', () => {
  const x = randomMatrix(16, 4, 7);
  const y = randomMatrix(16, 2, 8);
  afterAll(() => tf.dispose([x, y]));

  it('trains a Module; the update ratio is lr·‖g‖/‖θ‖ for plain SGD; taps recorded', () => {
    const model = tinyMLP({ sizes: [4, 6, 2], seed: 3 });
    const opt = tf.train.sgd(0.1);
    const monitor = new GradientMonitor({ histogram: false });
    trainStep(model, { inputs: x, targets: y }, { optimizer: opt, monitor });
    const before = tf.memory().numTensors;
    let first = 0;
    let last = 0;
    for (let i = 0; i < 30; i++) {
      const out = trainStep(model, { inputs: x, targets: y }, { optimizer: opt, monitor, taps: true });
      if (i === 0) first = out.loss!;
      last = out.loss!;
      expect(out.applied).toBe(true);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(last).toBeLessThan(first);
    const r = monitor.latest()!;
    for (const p of r.parameters) expect(p.updateRatio!).toBeCloseTo((0.1 * p.gradNorm!) / p.weightNorm!, 5);
    expect(r.taps!.map((t) => t.name)).toEqual(['blocks.0', 'blocks.1']);
    expect(r.taps![1]!.gradNorm).toBeGreaterThan(0);
    releaseTrainState(model);
    monitor.dispose();
    opt.dispose();
    model.dispose();
  });

  it('micro-batches: the mean gradient equals the batch gradient, and the SNR is recorded', () => {
    const a = tinyMLP({ sizes: [4, 6, 2], seed: 9 });
    const b = tinyMLP({ sizes: [4, 6, 2], seed: 9 });
    const oa = tf.train.sgd(0.1);
    const ob = tf.train.sgd(0.1);
    const monitor = new GradientMonitor({ histogram: false });
    const before = tf.memory().numTensors;
    trainStep(a, { inputs: x, targets: y }, { optimizer: oa });
    const out = trainStep(b, { inputs: x, targets: y }, { optimizer: ob, monitor, microBatches: 4 });
    expect(out.record!.snr).toBeGreaterThan(0);
    a.parameters().forEach((p, i) => {
      const q = b.parameters()[i]!;
      const d = tf.tidy(() => tf.max(tf.abs(tf.sub(p.variable, q.variable))).dataSync()[0]!);
      expect(d).toBeLessThan(1e-6);
    });
    monitor.dispose();
    expect(tf.memory().numTensors).toBe(before);
    for (const m of [a, b]) {
      releaseTrainState(m);
      m.dispose();
    }
    tf.dispose([oa, ob] as never);
  });

  it('keeps spectral normalisation as a constraint across steps', () => {
    const model = tinyMLP({ sizes: [4, 3, 2], seed: 4, scale: 3 });
    const opt = tf.train.sgd(0.05);
    const sn = spectralNormalization({ include: (name) => name.endsWith('kernel') });
    for (let i = 0; i < 15; i++)
      trainStep(model, { inputs: x, targets: y }, { optimizer: opt, constraint: sn });
    // σ of the [3, 2] kernel: √(largest eigenvalue of WᵀW), a 2×2 closed form.
    const w = model.parameters()[2]!.variable.dataSync();
    const c = [0, 1].map((i) =>
      [0, 1].map((j) => [0, 1, 2].reduce((s, r) => s + w[2 * r + i]! * w[2 * r + j]!, 0)),
    );
    const [p, q, r] = [c[0]![0]!, c[0]![1]!, c[1]![1]!];
    const lmax = (p + r) / 2 + Math.sqrt(((p - r) / 2) ** 2 + q * q);
    expect(Math.sqrt(lmax)).toBeCloseTo(1, 3);
    releaseTrainState(model);
    model.dispose();
  });
});

describe('disconnected parameters and direct applyGradients', () => {
  it('trainStep reports a parameter the loss does not use, and checkHealth flags it', () => {
    const model = tinyMLP({ sizes: [4, 3, 2], seed: 8 });
    const unused = tf.tidy(() => tf.variable(tf.ones([3]), true, `unused.${Math.random()}`));
    const withUnused = {
      name: 'm',
      parameters: () => [...model.parameters(), { name: 'unused', variable: unused, role: 'other' as const }],
      apply: (x: tf.Tensor, ctx?: Parameters<typeof model.apply>[1]) => model.apply(x, ctx),
    };
    const opt = tf.train.sgd(0.1);
    const monitor = new GradientMonitor({ histogram: false });
    const x = randomMatrix(8, 4, 1);
    const y = randomMatrix(8, 2, 2);
    for (let i = 0; i < 3; i++)
      trainStep(
        withUnused,
        { inputs: x, targets: y },
        { optimizer: opt, monitor, transform: clipByGlobalNorm(1) },
      );
    const p = monitor.latest()!.parameters.find((q) => q.name === 'unused')!;
    expect(p.gradNorm).toBeNull();
    expect(p.weightNorm).toBeCloseTo(Math.sqrt(3), 6);
    expect(checkHealth(monitor).find((f) => f.kind === 'disconnected')!.subject).toBe('unused');
    releaseTrainState(withUnused);
    monitor.dispose();
    opt.dispose();
    model.dispose();
    tf.dispose([unused, x, y]);
  });

  it('instrument(...).applyGradients works on gradients keyed by variable name', () => {
    const v = tf.tidy(() => tf.variable(tf.tensor1d([1, 2]), true, `v.${Math.random()}`));
    const monitor = new GradientMonitor({ histogram: false });
    const opt = instrument(tf.train.sgd(0.5), { monitor });
    const g = tf.tensor1d([2, -2]);
    opt.applyGradients({ [v.name]: g });
    // v ← v − 0.5·g = (0, 3).
    expect(Array.from(v.dataSync())).toEqual([0, 3]);
    expect(monitor.latest()!.loss).toBeNull();
    expect(monitor.latest()!.globalNorm).toBeCloseTo(Math.sqrt(8), 6);
    expect(() => opt.applyGradients({ nope: g })).toThrow(
      /gradients must be keyed by variable name, got "nope"/,
    );
    expect(() => instrument({} as never)).toThrow(/instrument: optimizer must be a tf.Optimizer/);
    monitor.dispose();
    opt.dispose();
    tf.dispose([v, g]);
  });
});

describe('TrainingGuard', () => {
  const teacher = (i: number) =>
    tf.tidy(() => {
      const xs = tf.randomNormal([16, 4], 0, 1, 'float32', i);
      return {
        inputs: xs,
        targets: tf.concat([tf.sin(tf.sum(xs, 1, true)), tf.mul(tf.slice(xs, [0, 0], [-1, 1]), 0.5)], 1),
      };
    });

  const run = (
    guard: TrainingGuard | undefined,
    steps: number,
    fault: (
      i: number,
      b: { inputs: tf.Tensor; targets: tf.Tensor },
    ) => { inputs: tf.Tensor; targets: tf.Tensor },
  ) => {
    const model = tinyMLP({ sizes: [4, 8, 2], seed: 2 });
    const opt = tf.train.adam(0.01);
    const monitor = new GradientMonitor({ capacity: 20, histogram: false, moments: false });
    for (let i = 0; i < steps; i++) {
      const clean = teacher(i % 50);
      const batch = fault(i, clean);
      trainStep(model, batch, { optimizer: opt, monitor, ...(guard ? { guard } : {}) });
      if (batch !== clean) tf.dispose([batch.inputs, batch.targets]);
      tf.dispose([clean.inputs, clean.targets]);
    }
    const weights = model.parameters().map((p) => Array.from(p.variable.dataSync()));
    releaseTrainState(model);
    monitor.dispose();
    return { model, opt, weights };
  };

  const nanAt = (k: number) => (i: number, b: { inputs: tf.Tensor; targets: tf.Tensor }) =>
    i === k ? { inputs: tf.tidy(() => tf.mul(b.inputs, Number.NaN)), targets: tf.clone(b.targets) } : b;

  it('a NaN injected at step 500 of 600: the run finishes with finite weights', () => {
    const before = tf.memory().numTensors;
    const guard = new TrainingGuard({ snapshotEvery: 50 });
    const guarded = run(guard, 600, nanAt(500));
    expect(guarded.weights.flat().every(Number.isFinite)).toBe(true);
    expect(guard.events).toHaveLength(1);
    const e = guard.events[0]!;
    expect(e).toMatchObject({
      step: 500,
      reason: 'non-finite',
      actions: ['skip', 'restore', 'lower-lr', 'clip'],
    });
    expect(e.restoredStep!).toBeGreaterThanOrEqual(450);
    expect(e.restoredStep!).toBeLessThan(500);
    expect(e.learningRate).toBeCloseTo(0.005, 12);
    expect(guard.clipNorm).toBeGreaterThan(0);
    guard.dispose();
    guarded.opt.dispose();
    guarded.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // The same fault without a guard poisons the weights: the test above can fail.
    const unguarded = run(undefined, 502, nanAt(500));
    expect(unguarded.weights.flat().some(Number.isNaN)).toBe(true);
    unguarded.opt.dispose();
    unguarded.model.dispose();
  });

  it('restores weights and Adam state from the last snapshot, in memory and on disk', () => {
    for (const path of [undefined, join(dir, 'snap.bin')]) {
      const guard = new TrainingGuard({ snapshotEvery: 5, ...(path ? { path } : {}) });
      const model = tinyMLP({ sizes: [4, 5, 2], seed: 6 });
      const opt = tf.train.adam(0.01);
      let saved: number[][] = [];
      let savedSlots: number[][] = [];
      let savedIter = 0;
      for (let i = 0; i < 13; i++) {
        const b = teacher(i);
        trainStep(model, b, { optimizer: opt, guard });
        tf.dispose([b.inputs, b.targets]);
        if (guard.snapshotStep === i) {
          saved = model.parameters().map((p) => Array.from(p.variable.dataSync()));
          savedSlots = optimizerSlots(opt).map((s) => Array.from(s.variable.dataSync()));
          savedIter = opt.iterations;
        }
      }
      expect(guard.snapshotStep).toBe(10); // snapshots after steps 0, 5 and 10
      if (path) {
        expect(existsSync(path)).toBe(true);
        expect(existsSync(`${path}.tmp`)).toBe(false);
      }
      // Corrupt a weight: the next step's loss is NaN and the guard restores step 10's state.
      const v = model.parameters()[0]!.variable;
      v.assign(tf.tidy(() => tf.fill(v.shape, Number.NaN)));
      const b = teacher(99);
      const out = trainStep(model, b, { optimizer: opt, guard });
      tf.dispose([b.inputs, b.targets]);
      expect(out.applied).toBe(false);
      expect(out.event!.restoredStep).toBe(10);
      for (const [i, p] of model.parameters().entries())
        expect(Array.from(p.variable.dataSync())).toEqual(saved[i]);
      for (const [i, s] of optimizerSlots(opt).entries())
        expect(Array.from(s.variable.dataSync())).toEqual(savedSlots[i]);
      expect(opt.iterations).toBe(savedIter);
      releaseTrainState(model);
      guard.dispose();
      opt.dispose();
      model.dispose();
    }
  });

  it('catches an exploding step, lowers the rate and switches clipping on', () => {
    const guard = new TrainingGuard({
      explodingFactor: 20,
      warmup: 5,
      onExploding: ['skip', 'lower-lr', 'clip'],
    });
    const spike = (i: number, b: { inputs: tf.Tensor; targets: tf.Tensor }) =>
      i === 30 ? { inputs: tf.clone(b.inputs), targets: tf.tidy(() => tf.mul(b.targets, 1e5)) } : b;
    const r = run(guard, 40, spike);
    expect(guard.events.map((e) => [e.step, e.reason])).toEqual([[30, 'exploding']]);
    expect(guard.events[0]!.actions).toEqual(['skip', 'lower-lr', 'clip']);
    expect(guard.clipNorm).toBeGreaterThan(0);
    expect(r.weights.flat().every(Number.isFinite)).toBe(true);
    guard.dispose();
    r.opt.dispose();
    r.model.dispose();
  });

  it('once clipping is on, large but finite gradients are clipped, not rejected again', () => {
    const guard = new TrainingGuard({
      explodingFactor: 20,
      warmup: 5,
      onExploding: ['skip', 'lower-lr', 'clip'],
    });
    // Targets scaled by 1e5 on steps 30–34: the first spike is rejected and switches clipping on;
    // the next four have as large a raw norm, but the update applied is clipped, so they stand.
    const spike = (i: number, b: { inputs: tf.Tensor; targets: tf.Tensor }) =>
      i >= 30 && i < 35 ? { inputs: tf.clone(b.inputs), targets: tf.tidy(() => tf.mul(b.targets, 1e5)) } : b;
    const r = run(guard, 40, spike);
    expect(guard.events.map((e) => [e.step, e.reason])).toEqual([[30, 'exploding']]);
    expect(guard.clipNorm).toBeGreaterThan(0);
    expect(r.weights.flat().every(Number.isFinite)).toBe(true);
    guard.dispose();
    r.opt.dispose();
    r.model.dispose();
  });

  it('gives up with a NonFiniteError after maxConsecutive bad steps', () => {
    const guard = new TrainingGuard({ maxConsecutive: 3 });
    const allNaN = (_i: number, b: { inputs: tf.Tensor; targets: tf.Tensor }) => ({
      inputs: tf.tidy(() => tf.mul(b.inputs, Number.NaN)),
      targets: tf.clone(b.targets),
    });
    expect(() => run(guard, 5, allNaN)).toThrow(NonFiniteError);
    expect(() => new TrainingGuard({ snapshotEvery: 0 })).toThrow(
      /TrainingGuard: options.snapshotEvery must be an integer ≥ 1, got 0/,
    );
    expect(() => new TrainingGuard({ onNonFinite: ['explode' as never] })).toThrow(
      /options.onNonFinite must be an array of/,
    );
    guard.dispose();
  });
});
