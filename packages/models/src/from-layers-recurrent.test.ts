import { initBackend } from '@gflow/backend';
import { UnsupportedError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromLayersModel } from './from-layers-model.js';
import type { Context } from './module.js';
import { seededNormal } from './test-utils/gradcheck.js';

/**
 * A context that observes ∂L/∂(tap) as diagnostics does: every tap is a tf.customGrad identity
 * whose gradient function copies dy to the host.
 */
function recorder(): { ctx: Context; grads: Map<string, number[]>; names: string[] } {
  const grads = new Map<string, number[]>();
  const names: string[] = [];
  const ctx: Context = {
    training: false,
    tap: (name, t) => {
      names.push(name);
      return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
        value: tf.clone(args[0] as tf.Tensor),
        gradFunc: (dy: tf.Tensor) => {
          grads.set(name, Array.from(dy.dataSync()));
          return tf.clone(dy);
        },
      }))(t);
    },
  };
  return { ctx, grads, names };
}

/** Seeded initializers with non-zero biases, so that every weight matters. */
function init(seed: number) {
  return {
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    recurrentInitializer: tf.initializers.orthogonal({ seed: seed + 1, gain: 1.2 }),
    biasInitializer: tf.initializers.randomNormal({ seed: seed + 2, stddev: 0.5 }),
  };
}

const maxAbs = (a: ArrayLike<number>): number => Math.max(...Array.from(a, Math.abs));
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number =>
  Math.max(...Array.from(a, (v, i) => Math.abs(v - (b[i] as number))));

/**
 * Output and parameter gradients of L = Σ y⊙r through tfjs's own layers (model.apply) and through
 * the unrolled adapter; returns both and the adapter's tap names and tap gradients.
 */
function compare(model: tf.LayersModel, x: tf.Tensor, rSeed: number) {
  const m = fromLayersModel(model);
  const vars = m.parameters().map((p) => p.variable);
  const { ctx, grads, names } = recorder();
  const run = (f: () => tf.Tensor) =>
    tf.tidy(() => {
      let y: Float32Array = new Float32Array();
      const r = tf.variableGrads(() => {
        const out = f();
        y = out.dataSync() as Float32Array;
        return tf.sum(tf.mul(out, seededNormal(out.shape, rSeed)));
      }, vars);
      const g = vars.map((v) => (r.grads[v.name] as tf.Tensor).dataSync() as Float32Array);
      return { y, g };
    });
  const ref = run(() => model.apply(x) as tf.Tensor);
  const got = run(() => m.apply(x, ctx));
  return { ref, got, grads, names, params: m.parameters().map((p) => p.name) };
}

function expectClose(
  ref: { y: Float32Array; g: Float32Array[] },
  got: { y: Float32Array; g: Float32Array[] },
) {
  // Same float32 operations in a different order: measured differences are ≤ 2e-7 relative.
  expect(got.y.length).toBe(ref.y.length);
  expect(maxDiff(got.y, ref.y)).toBeLessThanOrEqual(1e-5 * Math.max(1, maxAbs(ref.y)));
  expect(got.g.length).toBe(ref.g.length);
  ref.g.forEach((g, k) => {
    expect(maxDiff(got.g[k] as Float32Array, g)).toBeLessThanOrEqual(1e-5 * Math.max(1e-3, maxAbs(g)));
  });
}

const B = 3;
const T = 7;
const F = 4;

describe('fromLayersModel unrolls tfjs recurrent layers', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'cpu' });
  });

  const cases: [string, () => tf.layers.Layer, string[]][] = [
    ['SimpleRNN, tanh, last output', () => tf.layers.simpleRNN({ units: 5, name: 'r', ...init(1) }), ['']],
    [
      'SimpleRNN, relu, no bias, goBackwards, every output',
      () =>
        tf.layers.simpleRNN({
          units: 5,
          name: 'r',
          activation: 'relu',
          useBias: false,
          goBackwards: true,
          returnSequences: true,
          ...init(2),
        }),
      [''],
    ],
    [
      'LSTM, tfjs defaults (hardSigmoid gates), every output',
      () => tf.layers.lstm({ units: 5, name: 'r', returnSequences: true, ...init(3) }),
      [''],
    ],
    [
      'LSTM, sigmoid gates, softsign, unitForgetBias, goBackwards',
      () =>
        tf.layers.lstm({
          units: 4,
          name: 'r',
          recurrentActivation: 'sigmoid',
          activation: 'softsign',
          unitForgetBias: true,
          goBackwards: true,
          ...init(4),
        }),
      [''],
    ],
    [
      'GRU, tfjs defaults (hardSigmoid gates), last output',
      () => tf.layers.gru({ units: 5, name: 'r', ...init(5) }),
      [''],
    ],
    [
      'GRU, sigmoid gates, no bias, goBackwards, every output',
      () =>
        tf.layers.gru({
          units: 5,
          name: 'r',
          recurrentActivation: 'sigmoid',
          useBias: false,
          goBackwards: true,
          returnSequences: true,
          ...init(6),
        }),
      [''],
    ],
    [
      'Bidirectional LSTM, concat, every output',
      () =>
        tf.layers.bidirectional({
          layer: tf.layers.lstm({ units: 3, returnSequences: true, ...init(7) }) as tf.RNN,
          name: 'r',
        }),
      ['forward.', 'backward.'],
    ],
    [
      'Bidirectional GRU, sum, last output',
      () =>
        tf.layers.bidirectional({
          layer: tf.layers.gru({ units: 3, ...init(8) }) as tf.RNN,
          mergeMode: 'sum',
          name: 'r',
        }),
      ['forward.', 'backward.'],
    ],
    [
      'Bidirectional SimpleRNN, ave, every output',
      () =>
        tf.layers.bidirectional({
          layer: tf.layers.simpleRNN({ units: 3, returnSequences: true, ...init(9) }) as tf.RNN,
          mergeMode: 'ave',
          name: 'r',
        }),
      ['forward.', 'backward.'],
    ],
    [
      'Bidirectional LSTM, mul, last output',
      () =>
        tf.layers.bidirectional({
          layer: tf.layers.lstm({ units: 3, ...init(10) }) as tf.RNN,
          mergeMode: 'mul',
          name: 'r',
        }),
      ['forward.', 'backward.'],
    ],
  ];

  for (const [title, make, dirs] of cases) {
    it(`${title}: same output and parameter gradients as the tfjs layer, one tap per step`, () => {
      const input = tf.input({ shape: [T, F] });
      const rnn = make().apply(input) as tf.SymbolicTensor;
      const out = tf.layers.dense({ units: 2, name: 'head', ...init(20) }).apply(rnn) as tf.SymbolicTensor;
      const model = tf.model({ inputs: input, outputs: out });
      // counted after building: tfjs's unitForgetBias initializer leaks its intermediates
      const before = tf.memory().numTensors;
      const x = seededNormal([B, T, F], 11);
      const { ref, got, grads, names, params } = compare(model, x, 12);
      expectClose(ref, got);
      // every weight of the recurrent layer has a gradient that is not zero
      expect(params.length).toBe(model.trainableWeights.length);
      got.g.forEach((g) => {
        expect(maxAbs(g)).toBeGreaterThan(0);
      });
      const steps = Array.from({ length: T }, (_, t) => `h.${t}`);
      const expected = dirs.flatMap((d) => ['h.init', ...steps].map((s) => `layers.r.${d}${s}`));
      expect(names).toEqual([...expected, 'layers.r', 'layers.head']);
      // every state, h.init included, received a gradient of its own
      for (const n of expected) expect(grads.get(n)?.length ?? 0).toBeGreaterThan(0);
      tf.dispose(x);
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    });
  }

  it('returnState: the output and the final states, as the layer returns them', () => {
    const before = tf.memory().numTensors;
    const layer = tf.layers.lstm({ units: 3, returnState: true, name: 'r', ...init(30) });
    const input = tf.input({ shape: [T, F] });
    const [, h, c] = layer.apply(input) as tf.SymbolicTensor[];
    const cat = tf.layers
      .concatenate({ name: 'cat' })
      .apply([h as tf.SymbolicTensor, c as tf.SymbolicTensor]);
    const model = tf.model({ inputs: input, outputs: cat as tf.SymbolicTensor });
    const x = seededNormal([B, T, F], 31);
    const { ref, got, names } = compare(model, x, 32);
    expectClose(ref, got);
    expect(names.slice(-4)).toEqual(['layers.r.0', 'layers.r.1', 'layers.r.2', 'layers.cat']);
    tf.dispose(x);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses stateful layers, dropout, recurrent dropout and masks, naming the layer', () => {
    const refusals: [() => tf.LayersModel, RegExp][] = [
      [
        () =>
          tf.sequential({
            layers: [tf.layers.lstm({ units: 2, batchInputShape: [2, T, F], stateful: true, name: 's' })],
          }),
        /fromLayersModel: layer "s" \(LSTM\) is stateful/,
      ],
      [
        () =>
          tf.sequential({
            layers: [tf.layers.gru({ units: 2, inputShape: [T, F], dropout: 0.1, name: 'd' })],
          }),
        /fromLayersModel: layer "d" \(GRU\) has dropout 0\.1 and recurrentDropout 0/,
      ],
      [
        () =>
          tf.sequential({
            layers: [
              tf.layers.bidirectional({
                layer: tf.layers.simpleRNN({ units: 2, recurrentDropout: 0.2 }) as tf.RNN,
                inputShape: [T, F],
                name: 'b',
              }),
            ],
          }),
        /fromLayersModel: layer "b" \(SimpleRNN, forward direction\) has dropout 0 and recurrentDropout 0\.2/,
      ],
      [
        () =>
          tf.sequential({
            layers: [tf.layers.masking({ inputShape: [T, F] }), tf.layers.lstm({ units: 2, name: 'm' })],
          }),
        /fromLayersModel: layer "m" \(LSTM\) receives a mask/,
      ],
    ];
    for (const [make, re] of refusals) {
      const model = make();
      let err: unknown;
      try {
        fromLayersModel(model);
      } catch (e) {
        err = e;
      }
      expect(err, String(re)).toBeInstanceOf(UnsupportedError);
      expect((err as Error).message).toMatch(re);
      model.dispose();
    }
  });
});

/** Float64 reference: tfjs's activations by name. */
const ACT: Record<string, (v: number) => number> = {
  tanh: Math.tanh,
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  hardSigmoid: (v) => Math.min(1, Math.max(0, 0.2 * v + 0.5)),
  relu: (v) => Math.max(0, v),
  linear: (v) => v,
};

type Mat = number[][];
const toMat = (t: tf.Tensor): Mat => t.arraySync() as Mat;
const row = (v: number[], m: Mat): number[] =>
  (m[0] as number[]).map((_, j) => v.reduce((s, vi, i) => s + vi * ((m[i] as number[])[j] as number), 0));

interface RefCell {
  kind: 'SimpleRNN' | 'GRU';
  K: Mat;
  R: Mat;
  b: number[];
  act: string;
  ract: string;
}

/**
 * Hand-unrolled float64 forward pass of one SimpleRNN or GRU layer (tfjs conventions: GRU gates
 * [z, r, h̃], reset applied to h before the recurrent product, h_t = z⊙h + (1 − z)⊙h̃), every
 * output, goBackwards false; `bump` adds δ to element j of example n of h_t after step t.
 */
function forward64(
  c: RefCell,
  x: number[][][],
  bump?: { t: number; n: number; j: number; d: number },
): number[][][] {
  const H = c.R.length;
  const f = ACT[c.act] as (v: number) => number;
  const g = ACT[c.ract] as (v: number) => number;
  return x.map((seq, n) => {
    let h = new Array<number>(H).fill(0);
    return seq.map((xt, t) => {
      const u = row(xt, c.K).map((v, k) => v + (c.b[k] as number));
      if (c.kind === 'SimpleRNN') {
        const rh = row(h, c.R);
        h = u.map((v, k) => f(v + (rh[k] as number)));
      } else {
        const Rzr = c.R.map((r) => r.slice(0, 2 * H));
        const Rh = c.R.map((r) => r.slice(2 * H));
        const inner = row(h, Rzr);
        const z = h.map((_, k) => g((u[k] as number) + (inner[k] as number)));
        const r = h.map((_, k) => g((u[H + k] as number) + (inner[H + k] as number)));
        const rh = row(
          h.map((v, k) => v * (r[k] as number)),
          Rh,
        );
        const hh = h.map((_, k) => f((u[2 * H + k] as number) + (rh[k] as number)));
        h = h.map((v, k) => (z[k] as number) * v + (1 - (z[k] as number)) * (hh[k] as number));
      }
      if (bump && bump.t === t && bump.n === n) h = h.map((v, k) => (k === bump.j ? v + bump.d : v));
      return h;
    });
  });
}

describe('per-step gradients of an unrolled tfjs layer against a float64 hand-unrolled reference', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'cpu' });
  });

  for (const [kind, act, ract] of [
    ['GRU', 'tanh', 'hardSigmoid'],
    ['SimpleRNN', 'tanh', 'linear'],
  ] as const) {
    it(`${kind}: ∂L/∂h_t at every step equals float64 central differences`, () => {
      const before = tf.memory().numTensors;
      const H = 4;
      const layer =
        kind === 'GRU'
          ? tf.layers.gru({ units: H, returnSequences: true, name: 'r', inputShape: [T, F], ...init(40) })
          : tf.layers.simpleRNN({
              units: H,
              returnSequences: true,
              name: 'r',
              inputShape: [T, F],
              ...init(41),
            });
      const model = tf.sequential({ layers: [layer] });
      const x = seededNormal([B, T, F], 42);
      const rT = seededNormal([B, T, H], 43);
      const { ctx, grads } = recorder();
      const m = fromLayersModel(model);
      tf.tidy(() => {
        const r = tf.variableGrads(
          () => tf.sum(tf.mul(m.apply(x, ctx), rT)),
          m.parameters().map((p) => p.variable),
        );
        tf.dispose([r.value, ...Object.values(r.grads)]);
      });
      const [K, R, b] = model.getWeights();
      const cell: RefCell = {
        kind,
        K: toMat(K as tf.Tensor),
        R: toMat(R as tf.Tensor),
        b: Array.from((b as tf.Tensor).dataSync()),
        act,
        ract,
      };
      const x64 = x.arraySync() as number[][][];
      const r64 = rT.arraySync() as number[][][];
      const loss = (y: number[][][]) =>
        y.reduce(
          (s, seq, n) =>
            s +
            seq.reduce(
              (s2, h, t) => s2 + h.reduce((s3, v, k) => s3 + v * (r64[n]?.[t]?.[k] as number), 0),
              0,
            ),
          0,
        );
      // forward matches the float64 reference (float32 rounding only)
      const y64 = forward64(cell, x64).flat(2);
      const y32 = tf.tidy(() => Array.from((model.predict(x) as tf.Tensor).dataSync()));
      expect(maxDiff(y32, y64)).toBeLessThan(1e-5);
      const eps = 1e-6;
      let worst = 0;
      for (let t = 0; t < T; t++) {
        const got = grads.get(`layers.r.h.${t}`) as number[];
        expect(got).toHaveLength(B * H);
        const want: number[] = [];
        for (let n = 0; n < B; n++)
          for (let j = 0; j < H; j++) {
            const up = loss(forward64(cell, x64, { t, n, j, d: eps }));
            const dn = loss(forward64(cell, x64, { t, n, j, d: -eps }));
            want.push((up - dn) / (2 * eps));
          }
        worst = Math.max(worst, maxDiff(got, want) / maxAbs(want));
      }
      // float32 backward pass against float64: measured worst relative difference ~1e-6.
      expect(worst).toBeLessThan(1e-4);
      tf.dispose([x, rT]);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
