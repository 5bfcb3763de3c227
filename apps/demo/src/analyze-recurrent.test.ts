import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@gflow/backend';
import { nonFiniteReviver } from '@gflow/diagnostics';
import { fileSystem } from '@gflow/models/node';
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AnalyzeResult, analyze, analyzeCommand } from './analyze.js';

const dir = mkdtempSync(join(tmpdir(), 'gflow-analyze-rnn-'));
beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

const T = 20;
const F = 3;
const H1 = 5;
const H2 = 4;
const OUT = 2;
const BATCH = 4;

/** A two-layer LSTM (sequence length 20) with a dense head, seeded, non-zero biases. */
function twoLayerLSTM(): tf.LayersModel {
  const init = (seed: number) => ({
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    recurrentInitializer: tf.initializers.orthogonal({ seed: seed + 1, gain: 1.1 }),
    biasInitializer: tf.initializers.randomNormal({ seed: seed + 2, stddev: 0.3 }),
  });
  const m = tf.sequential();
  m.add(
    tf.layers.lstm({
      units: H1,
      inputShape: [T, F],
      returnSequences: true,
      recurrentActivation: 'sigmoid',
      name: 'l1',
      ...init(10),
    }),
  );
  m.add(tf.layers.lstm({ units: H2, recurrentActivation: 'sigmoid', name: 'l2', ...init(20) }));
  m.add(
    tf.layers.dense({
      units: OUT,
      name: 'head',
      kernelInitializer: tf.initializers.glorotNormal({ seed: 30 }),
    }),
  );
  return m;
}

/**
 * A hand-unrolled LSTM step in plain tf ops, from the equations (Hochreiter and Schmidhuber 1997;
 * Keras's gate order i, f, c, o in the kernel's columns):
 * z = x K + h R + b; i = σ(z_i), f = σ(z_f), o = σ(z_o); c' = f ⊙ c + i ⊙ tanh(z_c); h' = o ⊙ tanh(c').
 */
function lstmStep(x: tf.Tensor2D, h: tf.Tensor2D, c: tf.Tensor2D, K: tf.Tensor, R: tf.Tensor, b: tf.Tensor) {
  const units = h.shape[1];
  const z = tf.add(tf.add(tf.matMul(x, K as tf.Tensor2D), tf.matMul(h, R as tf.Tensor2D)), b);
  const [zi, zf, zc, zo] = tf.split(z, [units, units, units, units], 1) as tf.Tensor2D[];
  const c2 = tf.add(
    tf.mul(tf.sigmoid(zf as tf.Tensor2D), c),
    tf.mul(tf.sigmoid(zi as tf.Tensor2D), tf.tanh(zc as tf.Tensor2D)),
  );
  return { h: tf.mul(tf.sigmoid(zo as tf.Tensor2D), tf.tanh(c2)) as tf.Tensor2D, c: c2 as tf.Tensor2D };
}

/**
 * ‖∂L/∂h_t‖ of every step of both layers, independently of gflow: each hidden state gets a zero
 * perturbation δ_t (h_t + δ_t feeds both the next step and the layer above), and ∂L/∂δ_t at δ = 0
 * is the total derivative ∂L/∂h_t. Index 0 is the initial state h_{-1} = 0, then t = 0 … T−1.
 * L is the mean squared error on analyze's data (inputs N(0,1) with seed 1, targets seed 2).
 */
function referenceNorms(m: tf.LayersModel): {
  loss: number;
  predictError: number;
  l1: number[];
  l2: number[];
} {
  return tf.tidy(() => {
    const [K1, R1, b1, K2, R2, b2, W, c] = m.getWeights() as tf.Tensor[];
    const x = tf.randomNormal([BATCH, T, F], 0, 1, 'float32', 1);
    const y = tf.randomNormal([BATCH, OUT], 0, 1, 'float32', 2);
    const xs = tf.unstack(x, 1) as tf.Tensor2D[];
    const forward = (d: tf.Tensor[]) => {
      let h1 = tf.add(tf.zeros([BATCH, H1]), d[0] as tf.Tensor) as tf.Tensor2D;
      let c1 = tf.zeros([BATCH, H1]) as tf.Tensor2D;
      const seq: tf.Tensor2D[] = [];
      for (let t = 0; t < T; t++) {
        const s = lstmStep(xs[t] as tf.Tensor2D, h1, c1, K1 as tf.Tensor, R1 as tf.Tensor, b1 as tf.Tensor);
        h1 = tf.add(s.h, d[t + 1] as tf.Tensor) as tf.Tensor2D;
        c1 = s.c;
        seq.push(h1);
      }
      let h2 = tf.add(tf.zeros([BATCH, H2]), d[T + 1] as tf.Tensor) as tf.Tensor2D;
      let c2 = tf.zeros([BATCH, H2]) as tf.Tensor2D;
      for (let t = 0; t < T; t++) {
        const s = lstmStep(seq[t] as tf.Tensor2D, h2, c2, K2 as tf.Tensor, R2 as tf.Tensor, b2 as tf.Tensor);
        h2 = tf.add(s.h, d[T + 2 + t] as tf.Tensor) as tf.Tensor2D;
        c2 = s.c;
      }
      return tf.add(tf.matMul(h2, W as tf.Tensor2D), c as tf.Tensor);
    };
    const deltas = [
      ...Array.from({ length: T + 1 }, () => tf.zeros([BATCH, H1])),
      ...Array.from({ length: T + 1 }, () => tf.zeros([BATCH, H2])),
    ];
    const lossOf = (...d: tf.Tensor[]) => tf.mean(tf.square(tf.sub(forward(d), y)));
    const grads = tf.grads(lossOf)(deltas);
    const norms = grads.map((g) => Math.sqrt(Array.from(g.dataSync()).reduce((s, v) => s + v * v, 0)));
    // The hand unroll is itself checked against tfjs's own layers.
    const predictError = tf
      .max(tf.abs(tf.sub(forward(deltas), m.predict(x) as tf.Tensor)))
      .dataSync()[0] as number;
    return {
      loss: lossOf(...deltas).dataSync()[0] as number,
      predictError,
      l1: norms.slice(0, T + 1),
      l2: norms.slice(T + 1),
    };
  });
}

describe('gflow analyze --model on a saved recurrent LayersModel', () => {
  it('a two-layer LSTM (20 steps), --json: one tap per step of each layer, ‖∂L/∂h_t‖ equal to a hand-unrolled reference', async () => {
    const m = twoLayerLSTM();
    await m.save(fileSystem(join(dir, 'lstm2')));
    const before = tf.memory().numTensors;
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((t: string) => void printed.push(t));
    await analyzeCommand({
      kind: 'file',
      path: join(dir, 'lstm2', 'model.json'),
      json: true,
      batch: BATCH,
      engine: 'cpu',
      failOn: 'never',
    });
    expect(tf.memory().numTensors).toBe(before);
    const r = JSON.parse(printed[0] ?? '{}', nonFiniteReviver) as AnalyzeResult;
    const ref = referenceNorms(m);
    expect(tf.memory().numTensors).toBe(before);
    // The reference's forward pass is tfjs's, up to float32 rounding.
    expect(ref.predictError).toBeLessThan(1e-5);
    expect(r.inputShape).toEqual([BATCH, T, F]);
    expect(r.loss).toBe('mse');
    expect(Math.abs(r.report.loss / ref.loss - 1)).toBeLessThan(1e-5);
    for (const [layer, want] of [
      ['l1', ref.l1],
      ['l2', ref.l2],
    ] as const) {
      const steps = r.report.taps.filter((t) => new RegExp(`^layers\\.${layer}\\.h\\.\\d+$`).test(t.name));
      expect(steps.length).toBeGreaterThanOrEqual(T);
      expect(steps.map((t) => t.name)).toEqual(Array.from({ length: T }, (_, t) => `layers.${layer}.h.${t}`));
      const init = r.report.taps.find((t) => t.name === `layers.${layer}.h.init`);
      // float32 backward passes in a different order: measured relative differences ≲ 1e-6.
      const rel = (a: number | null, b: number) => Math.abs((a as number) / b - 1);
      expect(rel(init?.gradNorm ?? null, want[0] as number)).toBeLessThan(1e-4);
      steps.forEach((t, k) => {
        expect(want[k + 1]).toBeGreaterThan(0);
        expect(rel(t.gradNorm, want[k + 1] as number)).toBeLessThan(1e-4);
      });
    }
    // Through time the first layer's gradient shrinks towards early steps (forget gates < 1).
    expect(ref.l1[1] as number).toBeLessThan(ref.l1[T] as number);
    m.dispose();
  });

  it('analyze --arch lstm/gru/vanilla-rnn/orthogonal-rnn --steps 12: one tap per step, no leaks', async () => {
    for (const arch of ['vanilla-rnn', 'orthogonal-rnn', 'lstm', 'gru'] as const) {
      const before = tf.memory().numTensors;
      const r = await analyze({
        kind: 'flags',
        model: {
          arch,
          depth: 2,
          activation: 'tanh',
          init: 'xavier',
          norm: 'none',
          width: 6,
          seed: 1,
          steps: 12,
        },
        json: true,
        batch: 3,
        engine: 'cpu',
      });
      expect(tf.memory().numTensors).toBe(before);
      expect(r.inputShape).toEqual([3, 12, 8]);
      expect(r.targetShape).toEqual([3, 10]);
      const perStep = r.report.taps.filter((t) => /\.\d+$/.test(t.name));
      expect(perStep.length).toBeGreaterThanOrEqual(2 * 12);
      expect(r.report.taps.every((t) => t.gradNorm === null || Number.isFinite(t.gradNorm))).toBe(true);
    }
  });

  it('analyze --arch transformer --loss softmax-cross-entropy: targets one-hot per position, the loss matches −ln of a softmax', async () => {
    const before = tf.memory().numTensors;
    const r: AnalyzeResult = await analyze({
      kind: 'flags',
      model: {
        arch: 'transformer',
        depth: 2,
        activation: 'gelu',
        init: 'xavier',
        norm: 'pre',
        width: 8,
        seed: 0,
        steps: 5,
      },
      json: true,
      batch: 2,
      loss: 'softmax-cross-entropy',
      engine: 'cpu',
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.inputShape).toEqual([2, 5, 8]);
    expect(r.targetShape).toEqual([2, 5, 10]);
    expect(r.loss).toBe('softmax-cross-entropy');
    // Cross-entropy of 10 classes at initialization lies near ln 10 = 2.30 and is positive.
    expect(r.report.loss).toBeGreaterThan(0);
    expect(r.report.loss).toBeLessThan(3 * Math.log(10));
    expect(r.report.globalNorm).toBeGreaterThan(0);
  });
});
