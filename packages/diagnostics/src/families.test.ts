import { initBackend } from '@gflow/backend';
import {
  denseMLP,
  fromLayersModel,
  gru,
  highwayMLP,
  highwayRNN,
  kroneckerRNN,
  lstm,
  type Model,
  orthogonalRNN,
  plainConvNet,
  plainMLP,
  residualConvNet,
  residualMLP,
  residualRNN,
  transformerStack,
  unitaryRNN,
  vanillaRNN,
} from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { gradientTape } from './gradient-tape.js';

beforeAll(async () => {
  await initBackend();
});

// Small configurations of every family of @gflow/models (as in its own family tests).
const ff = { depth: 2, width: 4, inputSize: 3, outputSize: 2, activation: 'tanh' as const, seed: 1 };
const rec = { inputSize: 2, hiddenSize: 4, outputSize: 2, seed: 1 };
const vec = () => tf.randomNormal([3, 3], 0, 1, 'float32', 11);
const seq = () => tf.randomNormal([2, 3, 2], 0, 1, 'float32', 12);
const img = () => tf.randomNormal([2, 4, 4, 2], 0, 1, 'float32', 13);
const rTaps = ['h.init', 'h.0', 'h.1', 'h.2'];

const families: { name: string; build: () => Model; input: () => tf.Tensor; taps: string[] }[] = [
  {
    name: 'plainMLP',
    build: () => plainMLP({ ...ff, norm: 'batch' }),
    input: vec,
    taps: ['blocks.0', 'blocks.1'],
  },
  {
    name: 'plainConvNet',
    build: () =>
      plainConvNet({ depth: 2, channels: 2, inputChannels: 2, outputSize: 2, activation: 'tanh', seed: 1 }),
    input: img,
    taps: ['blocks.0', 'blocks.1'],
  },
  {
    name: 'residualMLP',
    build: () => residualMLP({ ...ff, norm: 'layer' }),
    input: vec,
    taps: ['blocks.0', 'blocks.1'],
  },
  {
    name: 'residualConvNet',
    build: () =>
      residualConvNet({
        depth: 2,
        channels: 2,
        inputChannels: 2,
        outputSize: 2,
        activation: 'tanh',
        norm: 'batch',
        seed: 1,
      }),
    input: img,
    taps: ['blocks.0', 'blocks.1'],
  },
  {
    name: 'highwayMLP',
    build: () => highwayMLP({ ...ff, gateBias: -1 }),
    input: vec,
    taps: ['blocks.0', 'blocks.1'],
  },
  {
    name: 'denseMLP',
    build: () => denseMLP({ ...ff, norm: 'layer' }),
    input: vec,
    taps: ['blocks.0', 'blocks.1'],
  },
  {
    name: 'transformerStack',
    build: () => transformerStack({ depth: 1, width: 4, heads: 2, inputSize: 2, outputSize: 2, seed: 1 }),
    input: seq,
    taps: ['layers.0.attn', 'layers.0.mlp'],
  },
  { name: 'vanillaRNN', build: () => vanillaRNN(rec), input: seq, taps: rTaps },
  { name: 'residualRNN', build: () => residualRNN({ ...rec, branchScale: 0.5 }), input: seq, taps: rTaps },
  { name: 'highwayRNN', build: () => highwayRNN(rec), input: seq, taps: rTaps },
  { name: 'lstm', build: () => lstm(rec), input: seq, taps: rTaps },
  { name: 'gru', build: () => gru(rec), input: seq, taps: rTaps },
  {
    name: 'orthogonalRNN',
    build: () => orthogonalRNN({ ...rec, parametrization: 'cayley', activation: 'tanh' }),
    input: seq,
    taps: rTaps,
  },
  { name: 'unitaryRNN', build: () => unitaryRNN(rec), input: seq, taps: rTaps },
  { name: 'kroneckerRNN', build: () => kroneckerRNN(rec), input: seq, taps: rTaps },
  {
    name: 'fromLayersModel',
    build: () => {
      const lm = tf.sequential({
        layers: [
          tf.layers.dense({
            units: 4,
            inputShape: [3],
            activation: 'tanh',
            name: 'fa',
            kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }),
          }),
          tf.layers.dense({
            units: 2,
            name: 'fb',
            kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }),
          }),
        ],
      });
      const m = fromLayersModel(lm);
      return {
        name: m.name,
        parameters: () => m.parameters(),
        apply: (x, c) => m.apply(x, c),
        dispose: () => lm.dispose(),
      };
    },
    input: vec,
    taps: ['layers.fa', 'layers.fb'],
  },
];

describe('gradientTape on every model family', () => {
  for (const f of families) {
    it(`${f.name}: taps are recorded and the parameter gradients are tf.variableGrads'`, () => {
      const model = f.build();
      const x = f.input();
      const before = tf.memory().numTensors;
      const loss = (y: tf.Tensor) => tf.mul(tf.sum(tf.square(y)), 0.5) as tf.Scalar;
      const tape = gradientTape((ctx) => loss(model.apply(x, ctx)), {
        params: model.parameters(),
        taps: 'tensors',
      });
      const names = tape.tapStats.map((s) => s.name);
      for (const t of f.taps) expect(names).toContain(t);
      for (const s of tape.tapStats) {
        if (s.gradNorm === null) continue;
        expect(Number.isFinite(s.gradNorm)).toBe(true);
        // Reference: the float64 norm of the tap's float32 gradient, summed on the host.
        const g = tape.tapGrads[s.name]!;
        const n = Math.sqrt(Array.from(g.dataSync()).reduce((a, v) => a + v * v, 0));
        expect(Math.abs(s.gradNorm / n - 1)).toBeLessThan(1e-6);
      }
      // Every tap, the recurrent models' h.init included (∂L/∂h₀ enters the tape), has a gradient.
      expect(f.taps.every((t) => tape.tapStats.find((s) => s.name === t)!.gradNorm! > 0)).toBe(true);
      // The taps change nothing: the same gradients as without them.
      const ctx = { training: true, tap: (_n: string, t: tf.Tensor) => t };
      const vars = model.parameters().map((p) => p.variable);
      const { value, grads } = tf.variableGrads(() => loss(model.apply(x, ctx)), vars);
      for (const p of model.parameters()) {
        const a = tape.paramGrads[p.name];
        const b = grads[p.variable.name];
        if (!a || !b) {
          expect(a === undefined).toBe(b === undefined);
          continue;
        }
        const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
        expect(d).toBeLessThan(1e-5);
      }
      tf.dispose([value, ...Object.values(grads)]);
      tape.dispose();
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      model.dispose();
    });
  }
});
