import { initBackend } from '@gflow/backend';
import { LSTM_SEQUENCE, LSTM_SEQUENCE_GRAD } from '@gflow/core/internal';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../model.js';
import { type Context, identityContext } from '../module.js';
import { seededNormal } from '../test-utils/gradcheck.js';
import { gru } from './gru.js';
import { highwayRNN } from './highway-rnn.js';
import { kroneckerRNN } from './kronecker-rnn.js';
import { lstm } from './lstm.js';
import { orthogonalRNN } from './orthogonal-rnn.js';
import { residualRNN } from './residual-rnn.js';
import { unitaryRNN } from './unitary-rnn.js';
import { vanillaRNN } from './vanilla-rnn.js';

/**
 * A context that observes ∂L/∂(tap) as diagnostics does: every tap is a tf.customGrad identity
 * whose gradient function copies dy to the host (float32 values, held as float64 numbers).
 */
function recorder(training = false): { ctx: Context; grads: Map<string, number[]> } {
  const grads = new Map<string, number[]>();
  const ctx: Context = {
    training,
    tap: (name, t) =>
      tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
        value: tf.clone(args[0] as tf.Tensor),
        gradFunc: (dy: tf.Tensor) => {
          grads.set(name, Array.from(dy.dataSync()));
          return tf.clone(dy);
        },
      }))(t),
  };
  return { ctx, grads };
}

/** L = Σ_b ⟨y_b, u_b⟩ for a fixed seeded u of y's shape. */
function dotLoss(y: tf.Tensor, uSeed: number): tf.Scalar {
  return tf.sum(tf.mul(y, seededNormal(y.shape, uSeed)));
}

/** Runs L(model(x)) under tf.variableGrads over every parameter; returns the taps' gradients. */
function tapGrads(model: Model, x: tf.Tensor, uSeed: number): Map<string, number[]> {
  const { ctx, grads } = recorder();
  tf.tidy(() => {
    const r = tf.variableGrads(
      () => dotLoss(model.apply(x, ctx), uSeed),
      model.parameters().map((p) => p.variable),
    );
    tf.dispose([r.value, ...Object.values(r.grads)]);
  });
  return grads;
}

const get = (a: unknown, ...ix: number[]): number => {
  let v = a;
  for (const i of ix) v = (v as unknown[])[i];
  return v as number;
};

/** Row vector times matrix in float64: (v M)_j = Σ_i v_i M_ij. */
function vecMat(v: readonly number[], m: readonly (readonly number[])[], cols: number): number[] {
  const out = new Array<number>(cols).fill(0);
  v.forEach((vi, i) => {
    for (let j = 0; j < cols; j++) out[j] = (out[j] as number) + vi * get(m, i, j);
  });
  return out;
}

/**
 * Float64 host forward of one sequence: h_t = φ(x_t U + b + h_{t−1} W), returning h_{T−1} from
 * h_{−1} = h0. `gates` = 4 runs the LSTM (gate order i, f, g, o, c_{−1} = 0) instead.
 */
function hostLast(
  kind: 'tanh' | 'lstm',
  [U, b, W]: [number[][], number[], number[][]],
  xs: readonly (readonly number[])[],
  h0: readonly number[],
): number[] {
  const H = h0.length;
  const sig = (v: number): number => 1 / (1 + Math.exp(-v));
  let h = h0.slice();
  let c = new Array<number>(H).fill(0);
  for (const xt of xs) {
    const cols = kind === 'lstm' ? 4 * H : H;
    const xu = vecMat(xt, U, cols);
    const hw = vecMat(h, W, cols);
    const z = xu.map((v, j) => v + (b[j] as number) + (hw[j] as number));
    if (kind === 'tanh') {
      h = z.map(Math.tanh);
    } else {
      const c2 = c.map(
        (cj, j) => sig(z[H + j] as number) * cj + sig(z[j] as number) * Math.tanh(z[2 * H + j] as number),
      );
      h = c2.map((cj, j) => sig(z[3 * H + j] as number) * Math.tanh(cj));
      c = c2;
    }
  }
  return h;
}

/**
 * ∂L/∂h0 at h0 = 0 for L(h0) = Σ_b ⟨h_{T−1}(h0_b), u_b⟩, per batch row, by float64 central
 * differences D(ε) = (L(εe_i) − L(−εe_i))/2ε with one Richardson step (4D(ε/2) − D(ε))/3, which
 * cancels the ε² term of the truncation error, leaving O(ε⁴) and rounding ≈ |L|·2⁻⁵²/ε.
 */
function hostGradH0(
  kind: 'tanh' | 'lstm',
  params: [number[][], number[], number[][]],
  x: number[][][],
  u: number[][],
  H: number,
  eps: number,
): number[] {
  const out: number[] = [];
  x.forEach((xs, bi) => {
    const loss = (h0: number[]): number =>
      hostLast(kind, params, xs, h0).reduce((s, v, j) => s + v * get(u, bi, j), 0);
    for (let i = 0; i < H; i++) {
      const p = new Array<number>(H).fill(0);
      const m = new Array<number>(H).fill(0);
      const d = (e: number): number => {
        p[i] = e;
        m[i] = -e;
        return (loss(p) - loss(m)) / (2 * e);
      };
      out.push((4 * d(eps / 2) - d(eps)) / 3);
    }
  });
  return out;
}

function maxAbs(a: readonly number[]): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] as number))), 0);
}

describe('the h.init tap sees ∂L/∂h₀', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('linear RNN: ∂L/∂h₀ = u (Wᵀ)^T exactly, under variableGrads over the parameters', () => {
    const before = tf.memory().numTensors;
    const F = 3;
    const H = 6;
    const T = 20;
    const model = vanillaRNN({
      inputSize: F,
      hiddenSize: H,
      activation: 'linear',
      recurrentInit: { name: 'orthogonal', gain: 0.9 },
      seed: 21,
    });
    const x = seededNormal([2, T, F], 22);
    const grads = tapGrads(model, x, 23);
    const got = grads.get('h.init');
    expect(got).toBeDefined();
    // h_t = x_t U + b + h_{t−1} W (row vectors), L = Σ_b ⟨h_{T−1,b}, u_b⟩, so ∂L/∂h_{t−1} = ∂L/∂h_t Wᵀ
    // and ∂L/∂h_{−1} = u (Wᵀ)^T, applied T times in float64 to the float32 weights.
    const W = model.parameters()[2]?.variable.arraySync() as number[][];
    const u = tf.tidy(() => seededNormal([2, H], 23).arraySync() as number[][]);
    const Wt = W[0]?.map((_, j) => W.map((row) => row[j] as number)) as number[][];
    const want = u.flatMap((ub) => {
      let g = ub.slice();
      for (let t = 0; t < T; t++) g = vecMat(g, Wt, H);
      return g;
    });
    // float32 backprop through 20 products with an orthogonal·0.9 matrix: a few ulps per step
    expect(maxAbsDiff(got as number[], want)).toBeLessThan(1e-5 * maxAbs(want));
    expect(maxAbs(want)).toBeGreaterThan(0.01);
    x.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  for (const { kind, T, eps, rtol } of [
    // Measured max |tape − reference| / max |reference|: tanh 7.7e-8 (∂L/∂h₀ ≈ 1.7e-2), LSTM 2.7e-6
    // (∂L/∂h₀ ≈ 2.4e-9 after 100 steps, so the reference's rounding |L|·2⁻⁵²/ε ≈ 1e-14 is ≈ 5e-6 of
    // it); the bars leave a margin of 10× or more.
    { kind: 'tanh' as const, T: 12, eps: 0.04, rtol: 1e-5 },
    { kind: 'lstm' as const, T: 100, eps: 0.04, rtol: 3e-5 },
  ]) {
    it(`${kind === 'tanh' ? 'vanilla tanh RNN' : 'LSTM'} (T = ${T}): ∂L/∂h₀ equals float64 central differences of a host forward pass`, () => {
      const before = tf.memory().numTensors;
      const F = 3;
      const H = 5;
      const model =
        kind === 'tanh'
          ? vanillaRNN({ inputSize: F, hiddenSize: H, seed: 31 })
          : lstm({ inputSize: F, hiddenSize: H, seed: 31 });
      const x = seededNormal([2, T, F], 32);
      const got = tapGrads(model, x, 33).get('h.init');
      expect(got).toBeDefined();
      const params = model.parameters().map((p) => p.variable.arraySync()) as [
        number[][],
        number[],
        number[][],
      ];
      const xs = x.arraySync() as number[][][];
      const u = tf.tidy(() => seededNormal([2, H], 33).arraySync() as number[][]);
      const want = hostGradH0(kind, params, xs, u, H, eps);
      expect(maxAbs(want)).toBeGreaterThan(0);
      expect(maxAbsDiff(got as number[], want)).toBeLessThan(rtol * maxAbs(want));
      x.dispose();
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  const rec = { inputSize: 2, hiddenSize: 4 };
  const builders: readonly { name: string; build: (layers: number) => Model }[] = [
    { name: 'vanillaRNN', build: (layers) => vanillaRNN({ ...rec, layers, seed: 1 }) },
    { name: 'residualRNN', build: (layers) => residualRNN({ ...rec, layers, branchScale: 0.5, seed: 2 }) },
    { name: 'highwayRNN', build: (layers) => highwayRNN({ ...rec, layers, seed: 3 }) },
    { name: 'lstm', build: (layers) => lstm({ ...rec, layers, chrono: 10, seed: 4 }) },
    { name: 'gru', build: (layers) => gru({ ...rec, layers, chrono: 10, seed: 5 }) },
    {
      name: 'orthogonalRNN householder',
      build: (layers) =>
        orthogonalRNN({ ...rec, layers, parametrization: 'householder', activation: 'tanh', seed: 6 }),
    },
    {
      name: 'orthogonalRNN cayley',
      build: (layers) =>
        orthogonalRNN({ ...rec, layers, parametrization: 'cayley', activation: 'tanh', seed: 7 }),
    },
    { name: 'orthogonalRNN exp', build: (layers) => orthogonalRNN({ ...rec, layers, seed: 8 }) },
    { name: 'unitaryRNN', build: (layers) => unitaryRNN({ ...rec, layers, seed: 9 }) },
    { name: 'kroneckerRNN', build: (layers) => kroneckerRNN({ ...rec, layers, seed: 10 }) },
  ];

  for (const { name, build } of builders) {
    for (const layers of [1, 2]) {
      it(`${name}${layers > 1 ? ' stacked' : ''}: every h.init gradient is recorded, finite and non-zero`, () => {
        const before = tf.memory().numTensors;
        const model = build(layers);
        const x = seededNormal([2, 3, 2], 41);
        const names = layers === 1 ? ['h.init'] : ['layers.0.h.init', 'layers.1.h.init'];
        // watched: every parameter (as measureGradientFlow does), or only the input x
        const byParams = tapGrads(model, x, 42);
        const { ctx, grads: byInput } = recorder();
        tf.tidy(() => {
          tf.grad((xi: tf.Tensor) => dotLoss(model.apply(xi, ctx), 42))(x);
        });
        for (const grads of [byParams, byInput]) {
          for (const n of names) {
            const g = grads.get(n);
            expect(g, n).toBeDefined();
            expect((g as number[]).every(Number.isFinite), n).toBe(true);
            expect(maxAbs(g as number[]), n).toBeGreaterThan(0);
          }
        }
        // the same gradient whichever tensors are watched
        for (const n of names) expect(byInput.get(n)).toEqual(byParams.get(n));
        x.dispose();
        model.dispose();
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  }

  // On wasm an LSTM layer runs as one fused op for both contexts here (the listening one takes
  // the steps' taps through tapSteps); with the fused kernels unregistered, step by step.
  it.each(['fused', 'stepwise'])(
    'leaves parameter gradients and Hessian-vector products bit-for-bit as without a listener (%s)',
    (path) => {
      const saved =
        path === 'stepwise'
          ? [LSTM_SEQUENCE, LSTM_SEQUENCE_GRAD].map((n) => tf.getKernel(n, 'wasm') as tf.KernelConfig)
          : [];
      for (const k of saved) tf.unregisterKernel(k.kernelName, 'wasm');
      try {
        bitForBit();
      } finally {
        for (const k of saved) tf.registerKernel(k);
      }
    },
  );

  function bitForBit(): void {
    const before = tf.memory().numTensors;
    const model = lstm({ inputSize: 2, hiddenSize: 4, layers: 2, outputSize: 3, seed: 51 });
    const x = seededNormal([2, 5, 2], 52);
    const vars = model.parameters().map((p) => p.variable);
    // a listening context whose taps change nothing; h₀ is then placed on the tape
    const listening: Context = { training: false, tap: (_n, t) => t, tapSteps: () => () => {} };
    const run = (ctx: Context): { g: number[][]; hv: number[][] } =>
      tf.tidy(() => {
        const v = vars.map((w, i) => seededNormal(w.shape, 60 + i));
        const loss = (): tf.Scalar => dotLoss(model.apply(x, ctx), 53);
        const g = tf.variableGrads(loss, vars);
        // Hv = ∇(∇L·v), a gradient of the gradient
        const gv = (): tf.Scalar => {
          const r = tf.variableGrads(loss, vars);
          return tf.addN(
            vars.map((w, i) => tf.sum(tf.mul(r.grads[w.name] as tf.Tensor, v[i] as tf.Tensor))),
          ) as tf.Scalar;
        };
        const hv = tf.variableGrads(gv, vars);
        return {
          g: vars.map((w) => Array.from((g.grads[w.name] as tf.Tensor).dataSync())),
          // a parameter whose gradient is constant (the readout bias) has no Hv entry
          hv: vars.map((w) =>
            hv.grads[w.name] ? Array.from((hv.grads[w.name] as tf.Tensor).dataSync()) : [],
          ),
        };
      });
    const plain = run(identityContext(false));
    const tapped = run(listening);
    expect(tapped.g).toEqual(plain.g);
    expect(tapped.hv).toEqual(plain.hv);
    expect(plain.hv.flat().some((v) => v !== 0)).toBe(true);
    x.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }
});
