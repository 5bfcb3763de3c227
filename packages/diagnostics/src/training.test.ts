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
import { createTrainState, disposeTrainState } from './train-state.js';
import { trainStep } from './train-step.js';
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
    expect(monitor.history().map((r) => r.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
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
      [3, 'non-finite'],
      [7, 'non-finite'],
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
    const state = createTrainState();
    trainStep(model, { inputs: x, targets: y }, state, { optimizer: opt, monitor });
    const before = tf.memory().numTensors;
    let first = 0;
    let last = 0;
    for (let i = 0; i < 30; i++) {
      const out = trainStep(model, { inputs: x, targets: y }, state, { optimizer: opt, monitor, taps: true });
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
    expect(state.step).toBe(31);
    expect(r.step).toBe(31);
    disposeTrainState(state);
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
    trainStep(a, { inputs: x, targets: y }, createTrainState(), { optimizer: oa });
    const out = trainStep(b, { inputs: x, targets: y }, createTrainState(), {
      optimizer: ob,
      monitor,
      microBatches: 4,
    });
    expect(out.record!.snr).toBeGreaterThan(0);
    a.parameters().forEach((p, i) => {
      const q = b.parameters()[i]!;
      const d = tf.tidy(() => tf.max(tf.abs(tf.sub(p.variable, q.variable))).dataSync()[0]!);
      expect(d).toBeLessThan(1e-6);
    });
    monitor.dispose();
    expect(tf.memory().numTensors).toBe(before);
    for (const m of [a, b]) m.dispose();
    tf.dispose([oa, ob] as never);
  });

  it('keeps spectral normalisation as a constraint across steps', () => {
    const model = tinyMLP({ sizes: [4, 3, 2], seed: 4, scale: 3 });
    const opt = tf.train.sgd(0.05);
    const sn = spectralNormalization({ include: (name) => name.endsWith('kernel') });
    const state = createTrainState({ constraint: sn });
    for (let i = 0; i < 15; i++) trainStep(model, { inputs: x, targets: y }, state, { optimizer: opt });
    // σ of the [3, 2] kernel: √(largest eigenvalue of WᵀW), a 2×2 closed form.
    const w = model.parameters()[2]!.variable.dataSync();
    const c = [0, 1].map((i) =>
      [0, 1].map((j) => [0, 1, 2].reduce((s, r) => s + w[2 * r + i]! * w[2 * r + j]!, 0)),
    );
    const [p, q, r] = [c[0]![0]!, c[0]![1]!, c[1]![1]!];
    const lmax = (p + r) / 2 + Math.sqrt(((p - r) / 2) ** 2 + q * q);
    expect(Math.sqrt(lmax)).toBeCloseTo(1, 3);
    disposeTrainState(state);
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
    const state = createTrainState({ transform: clipByGlobalNorm(1) });
    for (let i = 0; i < 3; i++)
      trainStep(withUnused, { inputs: x, targets: y }, state, { optimizer: opt, monitor });
    const p = monitor.latest()!.parameters.find((q) => q.name === 'unused')!;
    expect(p.gradNorm).toBeNull();
    expect(p.weightNorm).toBeCloseTo(Math.sqrt(3), 6);
    expect(checkHealth(monitor).find((f) => f.kind === 'disconnected')!.subject).toBe('unused');
    disposeTrainState(state);
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
    const state = createTrainState();
    for (let i = 0; i < steps; i++) {
      const clean = teacher(i % 50);
      const batch = fault(i, clean);
      trainStep(model, batch, state, { optimizer: opt, monitor, ...(guard ? { guard } : {}) });
      if (batch !== clean) tf.dispose([batch.inputs, batch.targets]);
      tf.dispose([clean.inputs, clean.targets]);
    }
    const weights = model.parameters().map((p) => Array.from(p.variable.dataSync()));
    disposeTrainState(state);
    monitor.dispose();
    return { model, opt, weights };
  };

  const nanAt = (k: number) => (i: number, b: { inputs: tf.Tensor; targets: tf.Tensor }) =>
    i === k ? { inputs: tf.tidy(() => tf.mul(b.inputs, Number.NaN)), targets: tf.clone(b.targets) } : b;

  it('a NaN injected at step 501 of 600: the run finishes with finite weights', () => {
    const before = tf.memory().numTensors;
    const guard = new TrainingGuard();
    const guarded = run(guard, 600, nanAt(500));
    expect(guarded.weights.flat().every(Number.isFinite)).toBe(true);
    expect(guard.events).toHaveLength(1);
    const e = guard.events[0]!;
    // Steps count from 1: loop index 500 is step 501; the rollback is to the last good step.
    expect(e).toMatchObject({
      step: 501,
      reason: 'non-finite',
      actions: ['skip', 'restore', 'lower-lr', 'clip'],
      restoredStep: 500,
    });
    expect(e.learningRate).toBeCloseTo(0.005, 12);
    expect(e.changes.slice(0, 2)).toEqual([
      { what: 'state', from: 501, to: 500 },
      { what: 'learningRate', from: 0.01, to: 0.005 },
    ]);
    expect(e.changes[2]).toMatchObject({ what: 'clipNorm', from: null });
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

  it("rollback 'snapshot' restores weights and Adam state from the last periodic snapshot, in memory and on disk", () => {
    for (const path of [undefined, join(dir, 'snap.bin')]) {
      const guard = new TrainingGuard({ snapshotEvery: 5, ...(path ? { path } : { rollback: 'snapshot' }) });
      const model = tinyMLP({ sizes: [4, 5, 2], seed: 6 });
      const opt = tf.train.adam(0.01);
      let saved: number[][] = [];
      let savedSlots: number[][] = [];
      let savedIter = 0;
      const state = createTrainState();
      for (let i = 0; i < 13; i++) {
        const b = teacher(i);
        trainStep(model, b, state, { optimizer: opt, guard });
        tf.dispose([b.inputs, b.targets]);
        if (guard.snapshotStep === i + 1) {
          saved = model.parameters().map((p) => Array.from(p.variable.dataSync()));
          savedSlots = optimizerSlots(opt).map((s) => Array.from(s.variable.dataSync()));
          savedIter = opt.iterations;
        }
      }
      expect(guard.snapshotStep).toBe(11); // snapshots after steps 1, 6 and 11
      if (path) {
        expect(existsSync(path)).toBe(true);
        expect(existsSync(`${path}.tmp`)).toBe(false);
      }
      // Corrupt a weight: the next step's loss is NaN and the guard restores step 11's state.
      const v = model.parameters()[0]!.variable;
      v.assign(tf.tidy(() => tf.fill(v.shape, Number.NaN)));
      const b = teacher(99);
      const out = trainStep(model, b, state, { optimizer: opt, guard });
      tf.dispose([b.inputs, b.targets]);
      expect(out.applied).toBe(false);
      expect(out.event!.restoredStep).toBe(11);
      for (const [i, p] of model.parameters().entries())
        expect(Array.from(p.variable.dataSync())).toEqual(saved[i]);
      for (const [i, s] of optimizerSlots(opt).entries())
        expect(Array.from(s.variable.dataSync())).toEqual(savedSlots[i]);
      expect(opt.iterations).toBe(savedIter);
      disposeTrainState(state);
      guard.dispose();
      opt.dispose();
      model.dispose();
    }
    // A file can also hold the fallback snapshot of rollback 'last-good'.
    new TrainingGuard({ path: join(dir, 'x.bin'), rollback: 'last-good' }).dispose();
    expect(() => new TrainingGuard({ rollback: 'yesterday' as never })).toThrow(
      /options.rollback must be 'last-good' or 'snapshot', got "yesterday"/,
    );
  });

  it("rollback 'last-good': a second bad step in a row falls back to the periodic snapshot", () => {
    const before = tf.memory().numTensors;
    const guard = new TrainingGuard({ snapshotEvery: 5 });
    const model = tinyMLP({ sizes: [4, 5, 2], seed: 6 });
    const opt = tf.train.adam(0.01);
    const state = createTrainState();
    const weights = () => model.parameters().map((p) => Array.from(p.variable.dataSync()));
    const step = (i: number) => {
      const b = teacher(i);
      const out = trainStep(model, b, state, { optimizer: opt, guard });
      tf.dispose([b.inputs, b.targets]);
      return out;
    };
    let atSnapshot: number[][] = [];
    for (let i = 0; i < 13; i++) {
      step(i);
      if (guard.snapshotStep === i + 1) atSnapshot = weights();
    }
    expect(guard.snapshotStep).toBe(11);
    // A doomed state: a weight set to NaN after the last good step (13). Step 14 is undone to it,
    // step 15 fails from it again and goes back to step 11's snapshot; step 16 is good.
    const v = model.parameters()[0]!.variable;
    const nan = tf.fill(v.shape, Number.NaN);
    v.assign(nan);
    nan.dispose();
    const e14 = step(14).event!;
    expect([e14.step, e14.restoredStep]).toEqual([14, 13]);
    expect(weights()[0]!.every(Number.isNaN)).toBe(true);
    const e15 = step(15).event!;
    expect([e15.step, e15.restoredStep, e15.actions]).toEqual([
      15,
      11,
      ['skip', 'restore', 'lower-lr', 'clip'],
    ]);
    expect(e15.changes[0]).toEqual({ what: 'state', from: 15, to: 11 });
    expect(weights()).toEqual(atSnapshot);
    expect(step(16).applied).toBe(true);
    disposeTrainState(state);
    guard.dispose();
    opt.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
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
    expect(guard.events.map((e) => [e.step, e.reason])).toEqual([[31, 'exploding']]);
    expect(guard.events[0]!.actions).toEqual(['skip', 'lower-lr', 'clip']);
    expect(guard.clipNorm).toBeGreaterThan(0);
    expect(r.weights.flat().every(Number.isFinite)).toBe(true);
    guard.dispose();
    r.opt.dispose();
    r.model.dispose();
  });

  describe('fault test: exploding batches', () => {
    const explode = (b: { inputs: tf.Tensor; targets: tf.Tensor }) => ({
      inputs: tf.clone(b.inputs),
      targets: tf.tidy(() => tf.mul(b.targets, 1e5)),
    });
    /** Trains a fresh model with `opt` for `steps` steps, calling `after(step, applied)` after each. */
    const loop = (
      guard: TrainingGuard,
      opt: tf.Optimizer,
      steps: number,
      bad: (step: number) => boolean,
      after: (step: number, applied: boolean, model: ReturnType<typeof tinyMLP>) => void = () => {},
    ) => {
      const model = tinyMLP({ sizes: [4, 8, 2], seed: 2 });
      const state = createTrainState();
      for (let step = 1; step <= steps; step++) {
        const clean = teacher(step % 50);
        const batch = bad(step) ? explode(clean) : clean;
        const out = trainStep(model, batch, state, { optimizer: opt, guard });
        if (batch !== clean) tf.dispose([batch.inputs, batch.targets]);
        tf.dispose([clean.inputs, clean.targets]);
        after(step, out.applied, model);
      }
      disposeTrainState(state);
      return model;
    };
    const rateOf = (opt: tf.Optimizer) => (opt as unknown as { learningRate: number }).learningRate;

    it("whileClipping 'reject': every exploding step is judged and rejected, also while the guard clips", () => {
      const before = tf.memory().numTensors;
      const guard = new TrainingGuard({ explodingFactor: 20, warmup: 5, whileClipping: 'reject' });
      const opt = tf.train.adam(0.01);
      const applied: boolean[] = [];
      const model = loop(
        guard,
        opt,
        40,
        (s) => s >= 31 && s <= 35,
        (_s, ok) => applied.push(ok),
      );
      // Clipping is on from step 31; steps 32–35 are as large and are rejected all the same.
      expect(guard.events.map((e) => [e.step, e.reason])).toEqual(
        [31, 32, 33, 34, 35].map((s) => [s, 'exploding']),
      );
      expect(guard.clipNorm).toBe(guard.events[0]!.clipNorm);
      expect(applied.map((ok, i) => (ok ? 0 : i + 1)).filter((s) => s > 0)).toEqual([31, 32, 33, 34, 35]);
      for (const p of model.parameters())
        expect(Array.from(p.variable.dataSync()).every(Number.isFinite)).toBe(true);
      guard.dispose();
      opt.dispose();
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });

    it("default (whileClipping 'clip'): once the guard clips, every exploding step is judged and recorded, and stands clipped", () => {
      const before = tf.memory().numTensors;
      const guard = new TrainingGuard({ explodingFactor: 20, warmup: 5 });
      const opt = tf.train.adam(0.01);
      const applied: boolean[] = [];
      const model = loop(
        guard,
        opt,
        40,
        (s) => s >= 31 && s <= 35,
        (_s, ok) => applied.push(ok),
      );
      // Step 31 is undone and switches clipping on; 32–35 are as large: each is an event, applied clipped.
      expect(guard.events.map((e) => [e.step, e.reason, e.actions.join(',')])).toEqual([
        [31, 'exploding', 'skip,lower-lr,clip'],
        ...[32, 33, 34, 35].map((s) => [s, 'exploding', 'clip']),
      ]);
      expect(guard.events[0]!.restoredStep).toBe(30);
      for (const e of guard.events.slice(1)) {
        expect(e.restoredStep).toBeUndefined();
        expect(e.changes).toEqual([]);
        expect(e.clipNorm).toBe(guard.clipNorm);
      }
      expect(applied.map((ok, i) => (ok ? 0 : i + 1)).filter((s) => s > 0)).toEqual([31]);
      for (const p of model.parameters())
        expect(Array.from(p.variable.dataSync()).every(Number.isFinite)).toBe(true);
      expect(() => new TrainingGuard({ whileClipping: 'maybe' as never })).toThrow(
        /options.whileClipping must be 'clip' or 'reject'/,
      );
      guard.dispose();
      opt.dispose();
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });

    it('after one bad step the rate is back at its original value after lrRecoverySteps good steps', () => {
      for (const lrRecoverySteps of [20, 7]) {
        const guard = new TrainingGuard({ explodingFactor: 20, warmup: 5, lrRecoverySteps });
        const opt = tf.train.adam(0.01);
        const rates: number[] = [];
        const model = loop(
          guard,
          opt,
          31 + lrRecoverySteps + 3,
          (s) => s === 31,
          () => rates.push(rateOf(opt)),
        );
        expect(guard.events.map((e) => e.step)).toEqual([31]);
        // rates[k] is the rate after step k + 1: halved by step 31, the same through the next
        // lrRecoverySteps − 1 good steps, exactly 0.01 again after the lrRecoverySteps-th.
        expect(rates[29]).toBe(0.01);
        expect(rates[30]).toBe(0.005);
        expect(rates[30 + lrRecoverySteps - 1]).toBe(0.005);
        expect(rates.slice(30 + lrRecoverySteps)).toEqual([0.01, 0.01, 0.01, 0.01]);
        expect(guard.learningRateScale).toBe(1);
        guard.dispose();
        opt.dispose();
        model.dispose();
      }
      // Two cuts in a row (0.0025) come back in two rises, 2·lrRecoverySteps good steps (the second
      // bad step comes while the guard clips: 'reject' undoes it too).
      const guard = new TrainingGuard({
        explodingFactor: 20,
        warmup: 5,
        lrRecoverySteps: 4,
        whileClipping: 'reject',
      });
      const opt = tf.train.adam(0.01);
      const rates: number[] = [];
      const model = loop(
        guard,
        opt,
        42,
        (s) => s === 31 || s === 32,
        () => rates.push(rateOf(opt)),
      );
      expect(rates.slice(30)).toEqual([
        0.005, 0.0025, 0.0025, 0.0025, 0.0025, 0.005, 0.005, 0.005, 0.005, 0.01, 0.01, 0.01,
      ]);
      guard.dispose();
      opt.dispose();
      model.dispose();
    });

    it('the weights and Adam state after a rejected step equal those after the last good step, bit for bit', () => {
      const guard = new TrainingGuard({ explodingFactor: 20, warmup: 5, whileClipping: 'reject' });
      const opt = tf.train.adam(0.01);
      const copy = (model: ReturnType<typeof tinyMLP>) => [
        ...model.parameters().map((p) => p.variable.dataSync().slice()),
        ...optimizerSlots(opt).map((s) => s.variable.dataSync().slice()),
      ];
      const snaps = new Map<number, unknown[]>();
      const iterations = new Map<number, number>();
      const model = loop(
        guard,
        opt,
        34,
        (s) => s === 31 || s === 33,
        (step, _ok, m) => {
          snaps.set(step, copy(m));
          iterations.set(step, opt.iterations);
        },
      );
      expect(guard.events.map((e) => [e.step, e.restoredStep])).toEqual([
        [31, 30],
        [33, 32],
      ]);
      // Float32Array equality is element-wise ===: bit for bit for finite values.
      expect(snaps.get(31)).toEqual(snaps.get(30));
      expect(snaps.get(33)).toEqual(snaps.get(32));
      expect(snaps.get(32)).not.toEqual(snaps.get(30));
      expect(iterations.get(31)).toBe(iterations.get(30));
      guard.dispose();
      opt.dispose();
      model.dispose();
    });
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
    expect(() => new TrainingGuard({ lrFactor: 2 })).toThrow(/options.lrFactor must be in \(0, 1\], got 2/);
    expect(() => new TrainingGuard({ lrRecoverySteps: 0 })).toThrow(
      /options.lrRecoverySteps must be an integer ≥ 1, got 0/,
    );
    guard.dispose();
  });
});
