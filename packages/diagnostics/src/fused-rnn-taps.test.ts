import { initBackend } from '@gflow/backend';
import {
  GRU_SEQUENCE,
  GRU_SEQUENCE_GRAD,
  LSTM_SEQUENCE,
  LSTM_SEQUENCE_GRAD,
  TANH_RNN_SEQUENCE,
  TANH_RNN_SEQUENCE_GRAD,
} from '@gflow/core/internal';
import { gru, lstm, vanillaRNN } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { gradientTape, type TapMode } from './gradient-tape.js';
import { measureGradientFlow } from './measure-gradient-flow.js';

/** Runs `body` with the fused RNN kernels unregistered: the stepwise taps, as on cpu or webgl. */
function stepwise<T>(body: () => T): T {
  const saved = [
    TANH_RNN_SEQUENCE,
    TANH_RNN_SEQUENCE_GRAD,
    LSTM_SEQUENCE,
    LSTM_SEQUENCE_GRAD,
    GRU_SEQUENCE,
    GRU_SEQUENCE_GRAD,
  ].map((n) => tf.getKernel(n, 'wasm') as tf.KernelConfig);
  for (const k of saved) tf.unregisterKernel(k.kernelName, 'wasm');
  try {
    return body();
  } finally {
    for (const k of saved) tf.registerKernel(k);
  }
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += ((a[i] as number) - (b[i] as number)) ** 2;
    den += (b[i] as number) ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-300));
}

/** Deterministic input [b, T, n] in [−1, 1). */
function input(shape: [number, number, number], seed: number): tf.Tensor3D {
  let s = seed >>> 0;
  const v = new Float32Array(shape[0] * shape[1] * shape[2]).map(() => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 4294967296) * 2 - 1;
  });
  return tf.tensor3d(v, shape);
}

beforeAll(async () => {
  const info = await initBackend();
  expect(info.name).toBe('wasm');
});

describe('taps of a fused tanh RNN layer (Context.tapSteps) equal the stepwise taps', () => {
  const cases = [
    { b: 1, T: 1, n: 1, layers: 1, returnSequences: false, mode: 'norms' as TapMode },
    { b: 3, T: 6, n: 4, layers: 1, returnSequences: true, mode: 'tensors' as TapMode },
    { b: 2, T: 11, n: 1, layers: 2, returnSequences: false, mode: 'norms' as TapMode },
    { b: 4, T: 40, n: 12, layers: 2, returnSequences: true, mode: 'tensors' as TapMode },
  ];

  it.each([
    { family: 'lstm', T: 1, n: 1, layers: 1, mode: 'norms' as TapMode },
    { family: 'lstm', T: 17, n: 6, layers: 2, mode: 'tensors' as TapMode },
    { family: 'gru', T: 1, n: 2, layers: 1, mode: 'norms' as TapMode },
    { family: 'gru', T: 13, n: 5, layers: 2, mode: 'tensors' as TapMode },
  ])(
    '$family T=$T hidden=$n layers=$layers taps=$mode: the same tap names, norms, tensors and parameter gradients fused and stepwise',
    ({ family, T, n, layers, mode }) => {
      const net = (family === 'gru' ? gru : lstm)({
        inputSize: 3,
        hiddenSize: n,
        layers,
        returnSequences: true,
        seed: T,
      });
      const x = input([3, T, 3], T + 1);
      const run = () => {
        const tape = gradientTape((ctx) => tf.tidy(() => tf.mul(0.5, tf.sum(tf.square(net.apply(x, ctx))))), {
          params: net.parameters(),
          taps: mode,
        });
        const out = {
          names: tape.tapStats.map((s) => s.name),
          norms: tape.tapStats.map((s) => s.gradNorm as number),
          tapGrads: Object.entries(tape.tapGrads).map(([k, v]) => [k, v.dataSync().slice()] as const),
          paramGrads: Object.values(tape.paramGrads).map((v) => v.dataSync().slice()),
        };
        tape.dispose();
        return out;
      };
      const before = tf.memory().numTensors;
      const fused = run();
      expect(tf.memory().numTensors).toBe(before);
      const ref = stepwise(run);
      expect(fused.names).toEqual(ref.names);
      expect(fused.names).toHaveLength(layers * (T + 1));
      fused.norms.forEach((v, i) => {
        expect(Math.abs(v - (ref.norms[i] as number)) / Math.abs(ref.norms[i] as number)).toBeLessThan(2e-5);
      });
      expect(fused.tapGrads.map((e) => e[0])).toEqual(ref.tapGrads.map((e) => e[0]));
      fused.tapGrads.forEach(([, g], i) => {
        expect(relErr(g, ref.tapGrads[i]?.[1] as Float32Array)).toBeLessThan(2e-5);
      });
      fused.paramGrads.forEach((g, i) => {
        expect(relErr(g, ref.paramGrads[i] as Float32Array)).toBeLessThan(2e-5);
      });
      x.dispose();
      net.dispose();
    },
  );

  it.each(cases)(
    'b=$b T=$T hidden=$n layers=$layers returnSequences=$returnSequences taps=$mode: names, order, norms, tensors and parameter gradients within 2e-5',
    ({ b, T, n, layers, returnSequences, mode }) => {
      const rnn = vanillaRNN({
        inputSize: 3,
        hiddenSize: n,
        layers,
        returnSequences,
        recurrentInit: { name: 'orthogonal', gain: 1.2 },
        seed: T,
      });
      const x = input([b, T, 3], b * 100 + T);
      const before = tf.memory().numTensors;
      const run = () => {
        const tape = gradientTape((ctx) => tf.tidy(() => tf.mul(0.5, tf.sum(tf.square(rnn.apply(x, ctx))))), {
          params: rnn.parameters(),
          taps: mode,
        });
        const out = {
          loss: tape.lossValue,
          names: tape.tapStats.map((s) => s.name),
          shapes: tape.tapStats.map((s) => s.shape),
          norms: tape.tapStats.map((s) => s.gradNorm as number),
          tapGrads: Object.fromEntries(
            Object.entries(tape.tapGrads).map(([k, v]) => [k, v.dataSync().slice()]),
          ),
          paramGrads: Object.fromEntries(
            Object.entries(tape.paramGrads).map(([k, v]) => [k, v.dataSync().slice()]),
          ),
        };
        tape.dispose();
        return out;
      };
      const fused = run();
      expect(tf.memory().numTensors).toBe(before);
      const ref = stepwise(run);
      expect(fused.names).toEqual(ref.names);
      expect(fused.shapes).toEqual(ref.shapes);
      expect(fused.names).toContain(layers > 1 ? `layers.1.h.${T - 1}` : `h.${T - 1}`);
      expect(fused.loss).toBeCloseTo(ref.loss, 4);
      fused.norms.forEach((v, i) => {
        expect(Math.abs(v - (ref.norms[i] as number)) / Math.abs(ref.norms[i] as number)).toBeLessThan(2e-5);
      });
      expect(Object.keys(fused.tapGrads)).toEqual(Object.keys(ref.tapGrads));
      for (const [k, g] of Object.entries(ref.tapGrads)) {
        expect(relErr(fused.tapGrads[k] as Float32Array, g)).toBeLessThan(2e-5);
      }
      for (const [k, g] of Object.entries(ref.paramGrads)) {
        expect(relErr(fused.paramGrads[k] as Float32Array, g)).toBeLessThan(2e-5);
      }
      x.dispose();
      rnn.dispose();
    },
  );

  it("with taps: 'norms' the backward kernel hands each step's scaled pair: the same norms, bit for bit, as the pairs of the step gradients ('tensors')", () => {
    const rnn = vanillaRNN({ inputSize: 3, hiddenSize: 7, layers: 2, seed: 9 });
    const x = input([3, 20, 3], 5);
    const k = tf.getKernel(TANH_RNN_SEQUENCE_GRAD, 'wasm') as tf.KernelConfig;
    const original = k.kernelFunc;
    const asked: unknown[] = [];
    (k as { kernelFunc: tf.KernelFunc }).kernelFunc = (args) => {
      asked.push((args.attrs as { stepNorms?: boolean }).stepNorms);
      return original(args);
    };
    const run = (mode: TapMode) => {
      const tape = gradientTape((ctx) => tf.tidy(() => tf.mul(0.5, tf.sum(tf.square(rnn.apply(x, ctx))))), {
        params: rnn.parameters(),
        taps: mode,
      });
      const out = {
        names: tape.tapStats.map((s) => s.name),
        norms: tape.tapStats.map((s) => s.gradNorm as number),
        paramGrads: Object.values(tape.paramGrads).map((g) => g.dataSync().slice()),
      };
      tape.dispose();
      return out;
    };
    try {
      const before = tf.memory().numTensors;
      const norms = run('norms');
      expect(tf.memory().numTensors).toBe(before);
      expect(asked).toEqual([true, true]);
      asked.length = 0;
      const tensors = run('tensors');
      expect(asked).toEqual([false, false]);
      expect(norms.names).toEqual(tensors.names);
      expect(norms.names).toHaveLength(2 * 21);
      expect(norms.norms).toEqual(tensors.norms);
      expect(norms.norms.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
      expect(norms.paramGrads).toEqual(tensors.paramGrads);
    } finally {
      (k as { kernelFunc: tf.KernelFunc }).kernelFunc = original;
      x.dispose();
      rnn.dispose();
    }
  });

  it("with taps: 'none' the layer still runs fused (one forward and one backward kernel) and gives the stepwise parameter gradients", () => {
    const rnn = vanillaRNN({ inputSize: 3, hiddenSize: 5, seed: 8 });
    const x = input([2, 12, 3], 4);
    const calls = new Map<string, number>();
    const spied = [TANH_RNN_SEQUENCE, TANH_RNN_SEQUENCE_GRAD].map(
      (n) => tf.getKernel(n, 'wasm') as tf.KernelConfig,
    );
    const originals = spied.map((k) => k.kernelFunc);
    spied.forEach((k, i) => {
      (k as { kernelFunc: tf.KernelFunc }).kernelFunc = (args) => {
        calls.set(k.kernelName, (calls.get(k.kernelName) ?? 0) + 1);
        return (originals[i] as tf.KernelFunc)(args);
      };
    });
    const run = () => {
      const tape = gradientTape((ctx) => tf.tidy(() => tf.sum(tf.square(rnn.apply(x, ctx)))), {
        params: rnn.parameters(),
        taps: 'none',
      });
      const grads = Object.values(tape.paramGrads).map((g) => g.dataSync().slice());
      expect(tape.tapStats).toEqual([]);
      tape.dispose();
      return grads;
    };
    try {
      const before = tf.memory().numTensors;
      const fused = run();
      expect(tf.memory().numTensors).toBe(before);
      expect(Object.fromEntries(calls)).toEqual({ [TANH_RNN_SEQUENCE]: 1, [TANH_RNN_SEQUENCE_GRAD]: 1 });
      const ref = stepwise(run);
      fused.forEach((g, i) => {
        expect(relErr(g, ref[i] as Float32Array)).toBeLessThan(2e-5);
      });
    } finally {
      spied.forEach((k, i) => {
        (k as { kernelFunc: tf.KernelFunc }).kernelFunc = originals[i] as tf.KernelFunc;
      });
      x.dispose();
      rnn.dispose();
    }
  });

  it('with activation statistics the tape declines the fused taps and the layer runs step by step', () => {
    const rnn = vanillaRNN({ inputSize: 3, hiddenSize: 4, seed: 2 });
    const x = input([2, 5, 3], 9);
    const run = () => {
      const tape = gradientTape((ctx) => tf.tidy(() => tf.sum(tf.square(rnn.apply(x, ctx)))), {
        params: rnn.parameters(),
        activations: true,
      });
      const stats = tape.tapStats.map((s) => [s.name, s.gradNorm, s.activation?.mean]);
      tape.dispose();
      return stats;
    };
    const fused = run();
    expect(fused).toHaveLength(6);
    expect(fused.every((s) => s[2] !== undefined)).toBe(true);
    expect(fused).toEqual(stepwise(run));
    x.dispose();
    rnn.dispose();
  });

  it('measureGradientFlow reports the same per-step norms fused and stepwise', () => {
    const rnn = vanillaRNN({
      inputSize: 3,
      hiddenSize: 8,
      seed: 5,
      recurrentInit: { name: 'orthogonal', gain: 0.9 },
    });
    const x = input([4, 20, 3], 3);
    const y = tf.zeros([4, 8]);
    const run = () => {
      const r = measureGradientFlow(rnn, { inputs: x, targets: y });
      return r.taps.map((l) => [l.name, l.gradNorm] as const);
    };
    const fused = run();
    const ref = stepwise(run);
    expect(fused.map((l) => l[0])).toEqual(ref.map((l) => l[0]));
    fused.forEach(([, v], i) => {
      expect(
        Math.abs((v as number) - (ref[i]?.[1] as number)) / Math.abs(ref[i]?.[1] as number),
      ).toBeLessThan(2e-5);
    });
    x.dispose();
    y.dispose();
    rnn.dispose();
  });
});
