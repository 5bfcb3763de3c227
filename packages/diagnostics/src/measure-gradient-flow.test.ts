import { initBackend } from '@gflow/backend';
import type { Module } from '@gflow/models';
import { fromLayersModel, plainMLP, residualMLP, vanillaRNN } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { gradientTape } from './gradient-tape.js';
import { flowReportSchemaVersion, measureGradientFlow } from './measure-gradient-flow.js';
import { randomMatrix } from './test-utils/tiny.js';

beforeAll(async () => {
  await initBackend();
});

describe('measureGradientFlow', () => {
  it('(module, batch, options) gives the report of (module, { ...batch, ...options }), as trainStep takes its batch', () => {
    const m = plainMLP({ depth: 3, width: 6, inputSize: 4, outputSize: 2, activation: 'tanh', seed: 4 });
    const x = randomMatrix(5, 4, 1);
    const y = randomMatrix(5, 2, 2);
    const before = tf.memory().numTensors;
    const three = measureGradientFlow(
      m,
      { inputs: x, targets: y },
      { loss: 'meanSquaredError', learningRate: 0.1 },
    );
    const two = measureGradientFlow(m, {
      inputs: x,
      targets: y,
      loss: 'meanSquaredError',
      learningRate: 0.1,
    });
    expect(three.taps.map((t) => t.gradNorm)).toEqual(two.taps.map((t) => t.gradNorm));
    expect(three.learningRate).toBe(0.1);
    expect(three.globalNorm).toBe(two.globalNorm);
    expect(() => measureGradientFlow(m, { inputs: x, targets: y }, null as never)).toThrow(
      /options must be an object/,
    );
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
    x.dispose();
    y.dispose();
  });

  it('matches a hand computation on a one-layer linear model', () => {
    const before = tf.memory().numTensors;
    const w = tf.tidy(() => tf.variable(tf.tensor2d([[1], [2]]), true, `w.${Math.random()}`));
    const unused = tf.tidy(() => tf.variable(tf.ones([3]), true, `u.${Math.random()}`));
    const module: Module = {
      name: 'linear',
      parameters: () => [
        { name: 'w', variable: w, role: 'kernel' },
        { name: 'unused', variable: unused, role: 'other' },
      ],
      apply: (x, ctx) =>
        ctx ? ctx.tap('blocks.0', tf.matMul(x as tf.Tensor2D, w)) : tf.matMul(x as tf.Tensor2D, w),
    };
    const inputs = tf.tensor2d([[1, 1]]);
    const targets = tf.tensor2d([[0]]);
    const r = measureGradientFlow(module, { inputs, targets, loss: 'meanSquaredError', learningRate: 0.01 });
    // y = 1 + 2 = 3; L = (3 − 0)² = 9; ∂L/∂y = 6; ∂L/∂w = xᵀ·6 = (6, 6).
    expect(r.schemaVersion).toBe(flowReportSchemaVersion);
    expect(r.loss).toBeCloseTo(9, 5);
    expect(r.taps).toHaveLength(1);
    expect(r.taps[0]!.gradNorm).toBeCloseTo(6, 5);
    expect(r.taps[0]!.ratioToLast).toBe(1);
    expect(r.taps[0]!.activation).toMatchObject({
      mean: 3,
      min: 3,
      max: 3,
      zeroFraction: 0,
      deadUnitFraction: 0,
    });
    const pw = r.parameters[0]!;
    expect(pw.gradNorm).toBeCloseTo(6 * Math.SQRT2, 5);
    expect(pw.weightNorm).toBeCloseTo(Math.sqrt(5), 6);
    expect(pw.ratio).toBeCloseTo((6 * Math.SQRT2) / Math.sqrt(5), 5);
    expect(pw.updateRatio).toBeCloseTo((0.01 * 6 * Math.SQRT2) / Math.sqrt(5), 6);
    expect(r.globalNorm).toBeCloseTo(6 * Math.SQRT2, 5);
    // The unused parameter is reported, not a crash.
    expect(r.parameters[1]!.gradNorm).toBeNull();
    expect(r.diagnosis.find((f) => f.kind === 'disconnected')!.subject).toBe('unused');
    // Plain data: survives JSON unchanged.
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    tf.dispose([w, unused, inputs, targets]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('calls an exactly zero gradient of a used parameter vanishing, not disconnected', () => {
    const before = tf.memory().numTensors;
    const w = tf.tidy(() => tf.variable(tf.tensor2d([[1], [2]]), true, `w.${Math.random()}`));
    const gate = tf.tidy(() => tf.variable(tf.tensor1d([-1]), true, `g.${Math.random()}`));
    // y = x·w + relu(gate)·1: relu(−1) = 0 and relu'(−1) = 0, so ∂L/∂gate = 0 exactly, while the
    // loss does depend on gate (tf.grad returns a tensor, not null).
    const module: Module = {
      name: 'gated',
      parameters: () => [
        { name: 'w', variable: w, role: 'kernel' },
        { name: 'gate', variable: gate, role: 'gate' },
      ],
      apply: (x) => tf.add(tf.matMul(x as tf.Tensor2D, w), tf.relu(gate)),
    };
    const inputs = tf.tensor2d([[1, 1]]);
    const targets = tf.tensor2d([[0]]);
    const r = measureGradientFlow(module, { inputs, targets, loss: 'meanSquaredError' });
    expect(r.parameters[1]!.gradNorm).toBe(0);
    expect(r.diagnosis.some((f) => f.kind === 'disconnected')).toBe(false);
    const v = r.diagnosis.find((f) => f.kind === 'vanishing' && f.subject === 'gate')!;
    expect(v.message).toMatch(/^vanishing: 1 of 2 parameters \(gate\) get an exactly zero gradient/);
    expect(v.evidence).toEqual({ zeroGradientParameters: 1, parameters: 2 });
    tf.dispose([w, gate, inputs, targets]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('diagnoses vanishing flow in a deep sigmoid MLP and not in its residual counterpart', () => {
    const before = tf.memory().numTensors;
    const x = randomMatrix(16, 8, 3);
    const y = randomMatrix(16, 4, 4);
    const plain = plainMLP({
      depth: 24,
      width: 16,
      inputSize: 8,
      outputSize: 4,
      activation: 'sigmoid',
      seed: 1,
    });
    const rp = measureGradientFlow(plain, { inputs: x, targets: y });
    const v = rp.diagnosis.find((f) => f.kind === 'vanishing')!;
    expect(v).toBeDefined();
    expect(v.message).toMatch(
      /^vanishing: the first block's gradient \(blocks\.0\) is .* of the last block's .*\(threshold 1e-4\)/,
    );
    // Sigmoid activations stay within (0, 1) with no exact zeros at every tap: the remedy is for
    // saturation (change the activation, residual, normalization), not a different initialization.
    expect(v.message).toMatch(/as saturating sigmoid\/tanh outputs do/);
    expect(v.remedy).toMatch(/^change the activation/);
    expect(v.remedy).not.toMatch(/He initialization/);
    expect(v.evidence.ratio).toBeLessThan(1e-4);
    // No learning rate was given: no update-ratio finding from a default rate.
    expect(rp.diagnosis.filter((f) => f.kind === 'update-ratio')).toEqual([]);
    // The ratio in the evidence is the taps' own ratio.
    const first = rp.taps.find((t) => t.gradNorm !== null)!;
    expect(first.ratioToLast).toBeCloseTo(v.evidence.ratio!, 10);
    // Same numbers as gradientTape on the same function.
    const tape = gradientTape((ctx) => tf.losses.meanSquaredError(y, plain.apply(x, ctx)) as tf.Scalar, {
      params: plain.parameters(),
    });
    tape.tapStats.forEach((s, i) => {
      expect(rp.taps[i]!.name).toBe(s.name);
      expect(rp.taps[i]!.gradNorm!).toBeCloseTo(s.gradNorm!, 6);
    });
    tape.dispose();
    const res = residualMLP({
      depth: 24,
      width: 16,
      inputSize: 8,
      outputSize: 4,
      activation: 'relu',
      seed: 1,
    });
    const rr = measureGradientFlow(res, { inputs: x, targets: y });
    expect(rr.diagnosis.filter((f) => f.kind === 'vanishing')).toEqual([]);
    plain.dispose();
    res.dispose();
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('works on a vanilla RNN (taps h.t)', () => {
    const before = tf.memory().numTensors;
    const rnn = vanillaRNN({ inputSize: 3, hiddenSize: 8, seed: 2 });
    const xs = tf.tidy(() => tf.randomNormal([4, 12, 3], 0, 1, 'float32', 9));
    const out = tf.tidy(() => rnn.apply(xs));
    const ts = tf.tidy(() => tf.zerosLike(out));
    const rr = measureGradientFlow(rnn, { inputs: xs, targets: ts });
    const steps = rr.taps.filter((t) => /^h\.\d+$/.test(t.name));
    expect(steps).toHaveLength(12);
    expect(steps.every((t) => t.gradNorm !== null && Number.isFinite(t.gradNorm))).toBe(true);
    rnn.dispose();
    tf.dispose([xs, out, ts]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('works on fromLayersModel', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({
          units: 6,
          inputShape: [5],
          activation: 'relu',
          kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }),
        }),
        tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }),
      ],
    });
    const m = fromLayersModel(model);
    const before = tf.memory().numTensors;
    const x = randomMatrix(8, 5, 5);
    const t = randomMatrix(8, 2, 6);
    const r = measureGradientFlow(m, {
      inputs: x,
      targets: t,
      loss: (a, b) => tf.losses.meanSquaredError(a, b) as tf.Scalar,
    });
    expect(r.taps.map((tp) => tp.name)).toEqual(model.layers.map((l) => `layers.${l.name}`));
    // Parameter gradients agree with tfjs's own on the LayersModel.
    const { value, grads } = tf.variableGrads(
      () => tf.losses.meanSquaredError(t, model.predict(x) as tf.Tensor) as tf.Scalar,
      model.trainableWeights.map((w) => w.read() as tf.Variable),
    );
    const expected = Math.sqrt(
      Object.values(grads).reduce(
        (s, g) => s + (tf.tidy(() => tf.sum(tf.square(g)).dataSync()[0]) as number),
        0,
      ),
    );
    expect(r.globalNorm).toBeCloseTo(expected, 5);
    tf.dispose([value, ...Object.values(grads), x, t]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('rejects bad input', () => {
    const m = plainMLP({ depth: 1, width: 2, inputSize: 2, seed: 1 });
    const x = tf.zeros([1, 2]);
    expect(() => measureGradientFlow(m, { inputs: x, targets: x, loss: 'hinge' as never })).toThrow(
      /measureGradientFlow: loss must be one of 'meanSquaredError', 'softmaxCrossEntropy', 'sigmoidCrossEntropy' or a function/,
    );
    expect(() => measureGradientFlow(m, { inputs: x, targets: x, learningRate: -1 })).toThrow(
      /options.learningRate/,
    );
    expect(() => measureGradientFlow(m, { inputs: x } as never)).toThrow(
      /options.inputs and options.targets must be tensors/,
    );
    expect(() => measureGradientFlow(m, { inputs: x, targets: x, thresholds: { flowRatio: -1 } })).toThrow(
      /thresholds.flowRatio/,
    );
    x.dispose();
    m.dispose();
  });
});
