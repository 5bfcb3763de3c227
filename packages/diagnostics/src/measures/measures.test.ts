import { initBackend } from '@gflow/backend';
import { InvalidArgumentError, NonFiniteError } from '@gflow/core';
import { type Parameter, plainMLP, vanillaRNN } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { effectiveLearningSignal } from './effective-learning-signal.js';
import { gradientEntropy, measureGradientEntropy } from './gradient-entropy.js';
import { gradientPredictiveness, linearPrediction, snapshotParameters } from './gradient-predictiveness.js';
import {
  digamma,
  gradientMutualInformation,
  mutualInformation,
  mutualInformationDecay,
} from './mutual-information.js';
import { SpectrumTracker, weightSpectrum } from './weight-spectrum.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

/** mulberry32 + Box–Muller: a seeded N(0, 1) stream independent of gflow's generators. */
function gaussians(seed: number): () => number {
  let a = seed >>> 0;
  const u = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

const param = (name: string, values: number[][], role: Parameter['role'] = 'kernel'): Parameter => ({
  name,
  variable: tf.variable(tf.tensor2d(values)),
  role,
});

describe('gradientEntropy', () => {
  it('matches the closed forms: uniform ln n, one-hot 0, (1, 3) by hand', () => {
    expect(gradientEntropy([2, -2, 2, -2]).entropy).toBeCloseTo(Math.log(4), 14);
    expect(gradientEntropy([2, -2, 2, -2]).normalized).toBeCloseTo(1, 14);
    expect(gradientEntropy([0, -5, 0]).entropy).toBe(0);
    expect(gradientEntropy([0, -5, 0]).effectiveCount).toBe(1);
    const h = -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)); // p = (1/4, 3/4)
    expect(gradientEntropy([1, -3]).entropy).toBeCloseTo(h, 14);
    expect(gradientEntropy([1, -3]).effectiveCount).toBeCloseTo(Math.exp(h), 14);
  });

  it('depends only on ratios, at every magnitude (float32 tensors of 1e-40 and 1e38)', () => {
    const before = tf.memory().numTensors;
    const h = -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75));
    for (const s of [1e-40, 1e-20, 1, 1e38]) {
      const t = tf.tensor1d([s, 3 * s]);
      expect(gradientEntropy(t).entropy).toBeCloseTo(h, 5); // float32 rounding of s and 3s (subnormal at 1e-40)
      t.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an all-zero gradient has no distribution (nulls); NaN and bad input are errors', () => {
    expect(gradientEntropy([0, 0, 0])).toEqual({
      entropy: null,
      normalized: null,
      effectiveCount: null,
      size: 3,
    });
    expect(() => gradientEntropy([1, Number.NaN])).toThrow(NonFiniteError);
    expect(() => gradientEntropy([])).toThrow(/g is empty/);
    expect(() => gradientEntropy(null as never)).toThrow(InvalidArgumentError);
    const t = tf.tensor1d([1, 2]);
    t.dispose();
    expect(() => gradientEntropy(t)).toThrow(/disposed/);
  });

  it('per tap and per parameter of a model, each equal to the entropy of that gradient', () => {
    const model = plainMLP({ depth: 3, width: 8, inputSize: 4, outputSize: 2, activation: 'tanh', seed: 1 });
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 1);
    const y = tf.randomNormal([5, 2], 0, 1, 'float32', 2);
    const before = tf.memory().numTensors;
    const r = measureGradientEntropy(model, { inputs: x, targets: y });
    expect(r.taps.length).toBeGreaterThanOrEqual(3);
    expect(r.parameters.map((p) => p.name)).toContain('readout.kernel');
    // Independent: the readout kernel's gradient by tf.grads on the same loss.
    const k = model.parameters().find((p) => p.name === 'readout.kernel') as Parameter;
    const g = tf.tidy(() => {
      const { grads } = tf.variableGrads(
        () => tf.losses.meanSquaredError(y, model.apply(x)) as tf.Scalar,
        [k.variable],
      );
      return grads[k.variable.name] as tf.Tensor;
    });
    expect(r.parameters.find((p) => p.name === 'readout.kernel')?.entropy).toBeCloseTo(
      gradientEntropy(g.dataSync()).entropy as number,
      6,
    );
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    x.dispose();
    y.dispose();
  });
});

describe('mutualInformation (KSG)', () => {
  it('digamma at known values', () => {
    const gamma = 0.5772156649015329;
    expect(digamma(1)).toBeCloseTo(-gamma, 12);
    expect(digamma(0.5)).toBeCloseTo(-gamma - 2 * Math.LN2, 12);
    expect(digamma(10)).toBeCloseTo(2.251752589066721, 12);
    expect(digamma(2000)).toBeCloseTo(Math.log(2000) - 1 / 4000 - 1 / (12 * 2000 ** 2), 12);
  });

  // Closed form for jointly Gaussian X, Y with correlation ρ: I = −½ ln(1 − ρ²).
  const sample = (n: number, rho: number, seed: number): { x: number[]; y: number[] } => {
    const g = gaussians(seed);
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < n; i++) {
      const a = g();
      const b = g();
      x.push(a);
      y.push(rho * a + Math.sqrt(1 - rho * rho) * b);
    }
    return { x, y };
  };

  it.each([0, 0.5, 0.9])('Gaussian, ρ = %s, N = 2000, k = 3: within 0.03 nats of −½ ln(1 − ρ²)', (rho) => {
    const { x, y } = sample(2000, rho, 11 + rho * 10);
    const exact = -0.5 * Math.log(1 - rho * rho);
    const est = mutualInformation(x, y, { k: 3 });
    expect(est.samples).toBe(2000);
    expect(Math.abs(est.mi - exact)).toBeLessThan(0.03);
  });

  it('2 + 2 dimensions, two independent pairs with ρ = 0.6: within 0.03 of 2 × (−½ ln 0.64)', () => {
    const p = sample(2000, 0.6, 5);
    const q = sample(2000, 0.6, 6);
    const xs = p.x.map((v, i) => [v, q.x[i] as number]);
    const ys = p.y.map((v, i) => [v, q.y[i] as number]);
    const exact = -Math.log(1 - 0.36);
    expect(Math.abs(mutualInformation(xs, ys).mi - exact)).toBeLessThan(0.03);
  });

  it('is invariant to rescaling either variable (up to floating point)', () => {
    const { x, y } = sample(500, 0.7, 3);
    const a = mutualInformation(x, y).mi;
    const b = mutualInformation(
      x.map((v) => v * 1e-30),
      y.map((v) => v * 1e20),
    ).mi;
    expect(b).toBeCloseTo(a, 10);
  });

  it('a constant variable carries no information; bad input is refused', () => {
    expect(mutualInformation([1, 1, 1, 1, 1], [1, 2, 3, 4, 5]).mi).toBe(0);
    expect(() => mutualInformation([1, 2, 3], [1, 2])).toThrow(/paired/);
    expect(() => mutualInformation([1, 2, 3], [1, 2, 3], { k: 3 })).toThrow(/too few for k = 3/);
    expect(() => mutualInformation([[1, 2], [1]], [1, 2])).toThrow(/same, non-zero dimension/);
    expect(() => mutualInformation([1, Number.NaN, 3, 4, 5], [1, 2, 3, 4, 5])).toThrow(NonFiniteError);
    expect(() => mutualInformation([1, 2], [1, 2], { k: 0 })).toThrow(/options.k must be an integer/);
  });

  it('between consecutive layers: a width-1 linear net passes its backward signal on whole', () => {
    const x = tf.randomNormal([400, 6], 0, 1, 'float32', 3);
    const y = tf.randomNormal([400, 2], 0, 1, 'float32', 4);
    const before = tf.memory().numTensors;
    const lin = plainMLP({ depth: 3, width: 1, inputSize: 6, outputSize: 2, activation: 'linear', seed: 2 });
    const mi = gradientMutualInformation(lin, { inputs: x, targets: y, dims: 1 });
    expect(mi.length).toBeGreaterThanOrEqual(2);
    // δ_l = w·δ_{l+1} with a fixed scalar w: each layer's gradient is a function of the next one's,
    // far more than a Gaussian pair with ρ = 0.99 shares (closed form −½ ln(1 − 0.99²) = 1.96 nats).
    for (const p of mi) expect(p.mi).toBeGreaterThan(-0.5 * Math.log(1 - 0.99 ** 2));
    lin.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    y.dispose();
  });

  it('through time: a contractive RNN keeps more about its output in late states than in early ones', () => {
    const rnn = vanillaRNN({
      inputSize: 2,
      hiddenSize: 8,
      recurrentInit: { name: 'orthogonal', gain: 0.5 },
      seed: 1,
    });
    const x = tf.randomNormal([600, 12, 2], 0, 1, 'float32', 9);
    const before = tf.memory().numTensors;
    const decay = mutualInformationDecay(rnn, { inputs: x, dims: 2 });
    const at = (name: string): number => decay.find((d) => d.name === name)?.mi as number;
    // Taps h.0 … h.11; h.11 is the output itself (no readout): its MI with the output is the largest.
    expect(at('h.11')).toBeGreaterThan(at('h.5'));
    expect(at('h.5')).toBeGreaterThan(at('h.0'));
    expect(at('h.0')).toBeLessThan(0.1); // gain 0.5: the first state is forgotten 11 steps later (0.5^11)
    expect(tf.memory().numTensors).toBe(before);
    rnn.dispose();
    x.dispose();
  });
});

describe('gradientPredictiveness', () => {
  it('R² by hand', () => {
    // ΔL = −1, −2, −3 (mean −2, variance 2/3); errors 0.1, −0.2, 0 (MSE 0.05/3): R² = 1 − 0.05/2.
    const r = gradientPredictiveness([
      { lossChange: -1, predictedChange: -1.1 },
      { lossChange: -2, predictedChange: -1.8 },
      { lossChange: -3, predictedChange: -3 },
    ]);
    expect(r.r2).toBeCloseTo(0.975, 12);
    expect(r.lossChangeVariance).toBeCloseTo(2 / 3, 12);
    expect(gradientPredictiveness([{ lossChange: 1, predictedChange: 1 }]).r2).toBeNull();
    expect(() => gradientPredictiveness([{ lossChange: Number.NaN, predictedChange: 0 }])).toThrow(
      NonFiniteError,
    );
    expect(() => gradientPredictiveness('x' as never)).toThrow(InvalidArgumentError);
  });

  it('gᵀΔθ by hand, and gradient descent on a quadratic: R² ≈ 1 for small steps, < 0 near the stability limit', () => {
    const p = param('w', [[0, 0]]);
    const before = snapshotParameters([p]);
    tf.tidy(() => p.variable.assign(tf.tensor2d([[0.5, -1]])));
    const g = tf.tensor2d([[1, 2]]);
    expect(linearPrediction({ w: g }, before, [p])).toBe(0.5 - 2);
    g.dispose();

    // L(θ) = ½ Σ a_i θ_i² with a = (1, 4): λ_max = 4, GD is stable for η < 2/4. For GD,
    // ΔL − gᵀΔθ = ½ η² Σ a_i³ θ_i², which is small against ΔL only when η·a is small.
    const a = tf.tensor2d([[1, 4]]);
    const run = (eta: number): number | null => {
      tf.tidy(() => p.variable.assign(tf.tensor2d([[1, 1]])));
      const steps = [];
      for (let t = 0; t < 20; t++) {
        const lossOf = () => tf.mul(0.5, tf.sum(tf.mul(a, tf.square(p.variable)))) as tf.Scalar;
        const snap = snapshotParameters([p]);
        const { value, grads } = tf.variableGrads(lossOf, [p.variable]);
        const l0 = value.dataSync()[0] as number;
        const gw = grads[p.variable.name] as tf.Tensor;
        tf.tidy(() => p.variable.assign(tf.sub(p.variable, tf.mul(eta, gw))));
        const l1 = tf.tidy(() => lossOf().dataSync()[0] as number);
        steps.push({ lossChange: l1 - l0, predictedChange: linearPrediction({ w: gw }, snap, [p]) });
        value.dispose();
        gw.dispose();
      }
      return gradientPredictiveness(steps).r2;
    };
    const before2 = tf.memory().numTensors;
    expect(run(0.01) as number).toBeGreaterThan(0.97);
    expect(run(0.48) as number).toBeLessThan(0);
    expect(tf.memory().numTensors).toBe(before2);
    a.dispose();
    p.variable.dispose();
  });
});

describe('weightSpectrum and SpectrumTracker', () => {
  it('σ₁ and ρ of matrices whose spectra are known', () => {
    // [[0, 2], [0.5, 0]]: eigenvalues ±1 (ρ = 1), singular values 2 and 0.5.
    const w = param('w', [
      [0, 2],
      [0.5, 0],
    ]);
    const s = weightSpectrum(w);
    expect(s.sigma1).toBeCloseTo(2, 6);
    expect(s.spectralRadius).toBeCloseTo(1, 6);
    // A rotation by 0.3 scaled by 0.9: ρ = σ₁ = 0.9.
    const c = Math.cos(0.3) * 0.9;
    const d = Math.sin(0.3) * 0.9;
    const r = param('r', [
      [c, -d],
      [d, c],
    ]);
    expect(weightSpectrum(r).spectralRadius).toBeCloseTo(0.9, 6);
    expect(weightSpectrum(r).sigma1).toBeCloseTo(0.9, 6);
    const rect = param('rect', [[3, 4, 0]]);
    expect(weightSpectrum(rect)).toEqual({
      name: 'rect',
      sigma1: expect.closeTo(5, 6),
      spectralRadius: null,
    });
    const v = { name: 'v', variable: tf.variable(tf.tensor1d([1, 2])), role: 'bias' as const };
    expect(() => weightSpectrum(v)).toThrow(/need a matrix \(rank 2\)/);
    for (const p of [w, r, rect, v]) p.variable.dispose();
  });

  it('records every N steps, from record() and from a model.fit callback', async () => {
    const w = param('w', [
      [1, 0],
      [0, 1],
    ]);
    const tracker = new SpectrumTracker([w], { every: 2 });
    expect(tracker.record(1)).toBeUndefined();
    tf.tidy(() =>
      w.variable.assign(
        tf.tensor2d([
          [0, 3],
          [0, 0],
        ]),
      ),
    );
    expect(tracker.record(2)?.spectra[0]).toMatchObject({
      sigma1: expect.closeTo(3, 6),
      spectralRadius: expect.closeTo(0, 6),
    });
    expect(tracker.history.map((h) => h.step)).toEqual([2]);
    const cb = tracker.callback();
    for (let b = 0; b < 4; b++) await cb.onBatchEnd(b);
    expect(tracker.history.map((h) => h.step)).toEqual([2, 2, 4]); // the callback counts its own steps from 1
    expect(() => tracker.record(0)).toThrow(/steps count from 1/);
    expect(() => new SpectrumTracker([], {})).toThrow(/non-empty array/);
    w.variable.dispose();
  });
});

describe('effectiveLearningSignal', () => {
  it('matches a hand-written backpropagation through time of a vanilla tanh RNN, lag by lag', () => {
    const T = 6;
    const H = 3;
    const B = 4;
    const rnn = vanillaRNN({
      inputSize: 2,
      hiddenSize: H,
      recurrentInit: { name: 'orthogonal', gain: 1.2 },
      seed: 5,
    });
    const x = tf.randomNormal([B, T, 2], 0, 1, 'float32', 21);
    const target = tf.randomNormal([B, H], 0, 1, 'float32', 22);
    const before = tf.memory().numTensors;
    const els = effectiveLearningSignal(rnn, { inputs: x, targets: target });
    expect(tf.memory().numTensors).toBe(before);

    // The reference, in float64 from the parameter values: h_t = tanh(x_t U + b + h_{t−1} W), the
    // output h_T, L = mean((h_T − y)²) over B·H. δ_T = 2(h_T − y)/(B·H); a_t = δ_t ⊙ (1 − h_t²);
    // the step-t part of ∂L/∂W is h_{t−1}ᵀ a_t; δ_{t−1} = a_t Wᵀ.
    const get = (suffix: string) =>
      rnn
        .parameters()
        .find((p) => p.name.endsWith(suffix))
        ?.variable.arraySync() as number[][] | number[];
    const U = get('input.kernel') as number[][];
    const W = get('recurrent.kernel') as number[][];
    const bias = get('.bias') as number[];
    const xs = x.arraySync() as number[][][];
    const ys = target.arraySync() as number[][];
    const hs: number[][][] = [Array.from({ length: B }, () => new Array(H).fill(0))];
    for (let t = 0; t < T; t++) {
      const prev = hs[t] as number[][];
      hs.push(
        prev.map((hp, bi) =>
          Array.from({ length: H }, (_, j) => {
            let z = bias[j] as number;
            for (let i = 0; i < 2; i++) z += (xs[bi]?.[t]?.[i] as number) * (U[i]?.[j] as number);
            for (let i = 0; i < H; i++) z += (hp[i] as number) * (W[i]?.[j] as number);
            return Math.tanh(z);
          }),
        ),
      );
    }
    let delta = (hs[T] as number[][]).map((h, bi) =>
      h.map((v, j) => (2 * (v - (ys[bi]?.[j] as number))) / (B * H)),
    );
    const expected: number[] = []; // lag 0 first
    for (let t = T; t >= 1; t--) {
      const a = delta.map((d, bi) => d.map((v, j) => v * (1 - (hs[t]?.[bi]?.[j] as number) ** 2)));
      let sq = 0;
      for (let i = 0; i < H; i++)
        for (let j = 0; j < H; j++) {
          let c = 0;
          for (let bi = 0; bi < B; bi++) c += (hs[t - 1]?.[bi]?.[i] as number) * (a[bi]?.[j] as number);
          sq += c * c;
        }
      expected.push(Math.sqrt(sq));
      delta = a.map((ab) =>
        Array.from({ length: H }, (_, i) => ab.reduce((s, v, j) => s + v * (W[i]?.[j] as number), 0)),
      );
    }
    expect(els.lags.map((l) => l.lag)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(els.lags.map((l) => l.tap)).toEqual(['h.5', 'h.4', 'h.3', 'h.2', 'h.1', 'h.0']);
    for (const [i, l] of els.lags.entries()) {
      const e = expected[i] as number;
      expect(Math.abs(l.norm - e)).toBeLessThanOrEqual(1e-4 * e + 1e-9);
    }
    // Lag 5 (the first step) reads the zero initial state: it contributes nothing to ∂L/∂W.
    expect(els.lags[5]?.norm).toBe(0);
    expect(els.lags.reduce((s, l) => s + l.share, 0)).toBeCloseTo(1, 12);
    // W_hh acts only inside the steps: the lags sum to the whole gradient.
    expect(els.closure).toBeLessThan(1e-5);
    rnn.dispose();
    x.dispose();
    target.dispose();
  });

  it('refuses a model without step taps or recurrent parameters', () => {
    const mlp = plainMLP({ depth: 2, width: 4, inputSize: 3, outputSize: 2, seed: 1 });
    const x = tf.zeros([2, 3]);
    const y = tf.zeros([2, 2]);
    expect(() => effectiveLearningSignal(mlp, { inputs: x, targets: y })).toThrow(/no parameters to measure/);
    expect(() => effectiveLearningSignal(mlp, { inputs: x, targets: y, params: mlp.parameters() })).toThrow(
      /no step taps/,
    );
    mlp.dispose();
    x.dispose();
    y.dispose();
  });
});
