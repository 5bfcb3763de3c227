import { initBackend } from '@gflow/backend';
import { GflowError, InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../model.js';
import type { Context } from '../module.js';
import { seededNormal } from '../test-utils/gradcheck.js';
import { gru } from './gru.js';
import { lstm } from './lstm.js';
import { vanillaRNN } from './vanilla-rnn.js';

const train: Context = { training: true, tap: (_n, t) => t };
const infer: Context = { training: false, tap: (_n, t) => t };

function eye(n: number): tf.Tensor2D {
  return tf.eye(n) as tf.Tensor2D;
}

/** Sets parameters by name (values are tensors or a fill value). */
function setParams(model: Model, values: Record<string, tf.Tensor | number>): void {
  tf.tidy(() => {
    for (const p of model.parameters()) {
      const v = values[p.name];
      if (v === undefined) continue;
      p.variable.assign(typeof v === 'number' ? tf.fill(p.variable.shape, v) : v);
    }
  });
}

/**
 * The identity cell: a linear vanillaRNN with U = W = I and b = 0, so h_t = m ⊙ h_{t−1} + x_t under
 * recurrent dropout and h̃_t = h_{t−1} + x_t before zoneout or temporal dropout.
 */
function identityRNN(H: number, extra: Record<string, number>): Model {
  const m = vanillaRNN({
    inputSize: H,
    hiddenSize: H,
    activation: 'linear',
    returnSequences: true,
    ...extra,
  });
  const I = eye(H);
  setParams(m, { 'layers.0.input.kernel': I, 'layers.0.recurrent.kernel': I, 'layers.0.bias': 0 });
  I.dispose();
  return m;
}

/** [B, T, H] values as v[b][t][i]. */
function cube(y: tf.Tensor): number[][][] {
  return y.arraySync() as number[][][];
}

/** |count − n·p| ≤ 5 standard deviations of a Binomial(n, p). */
function expectBinomial(count: number, n: number, p: number): void {
  expect(Math.abs(count - n * p)).toBeLessThanOrEqual(5 * Math.sqrt(n * p * (1 - p)));
}

describe('recurrent regularizers', () => {
  beforeAll(async () => {
    await initBackend();
  });

  const B = 2;
  const T = 6;
  const H = 100;

  it('recurrent dropout: one mask per sequence, the same at every step (identity cell)', () => {
    const before = tf.memory().numTensors;
    const p = 0.3;
    const q = 1 / (1 - p);
    const m = identityRNN(H, { recurrentDropout: p, maskSeed: 5 });
    const y = tf.tidy(() => cube(m.apply(tf.ones([B, T, H]), train)));
    // h_t = m ⊙ h_{t−1} + 1: a dropped unit (m = 0) reads 1 at every step, a kept one (m = q) the
    // geometric sum 1 + q + … + q^t at every step; a mask drawn per step would mix the two.
    let dropped = 0;
    for (let b = 0; b < B; b++)
      for (let i = 0; i < H; i++) {
        const seq = y[b]!.map((row) => row[i]!);
        const isDropped = seq[1] === 1;
        if (isDropped) dropped++;
        seq.forEach((v, t) => {
          let geometric = 0;
          for (let k = 0; k <= t; k++) geometric += q ** k;
          expect(v).toBeCloseTo(isDropped ? 1 : geometric, 4);
        });
      }
    expectBinomial(dropped, B * H, p);
    // inference: identity, h_t = t + 1
    const yi = tf.tidy(() => cube(m.apply(tf.ones([B, T, H]), infer)));
    expect(yi[1]![T - 1]![7]).toBe(T);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('recurrent dropout: ∂h_T/∂h_0 = diag(m)^T with the sequence mask m (identity cell)', () => {
    const before = tf.memory().numTensors;
    const p = 0.5;
    const q = 1 / (1 - p);
    // two models with the same mask seed draw the same masks on their first call
    const a = identityRNN(H, { recurrentDropout: p, maskSeed: 9 });
    const b = identityRNN(H, { recurrentDropout: p, maskSeed: 9 });
    const x = tf.ones([1, T, H]);
    const y = tf.tidy(() => cube(a.apply(x, train)));
    const g = tf.tidy(() =>
      Array.from(
        tf
          .grad((d: tf.Tensor) => {
            const out = b.apply(x, { training: true, tap: (n, t) => (n === 'h.init' ? tf.add(t, d) : t) });
            return tf.sum(tf.slice(out, [0, T - 1, 0], [1, 1, H]));
          })(tf.zeros([1, H]))
          .dataSync(),
      ),
    );
    for (let i = 0; i < H; i++) {
      const kept = y[0]![1]![i] !== 1;
      expect(g[i]).toBeCloseTo(kept ? q ** T : 0, 3);
    }
    tf.dispose(x);
    a.dispose();
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('recurrent dropout masks only the recurrent input: with W = 0, LSTM and GRU equal the plain cells', () => {
    const before = tf.memory().numTensors;
    const x = seededNormal([2, 5, 3], 1);
    for (const build of [lstm, gru]) {
      const plain = build({ inputSize: 3, hiddenSize: 4, returnSequences: true, seed: 2 });
      const reg = build({
        inputSize: 3,
        hiddenSize: 4,
        returnSequences: true,
        seed: 2,
        recurrentDropout: 0.5,
      });
      setParams(plain, { 'layers.0.recurrent.kernel': 0 });
      setParams(reg, { 'layers.0.recurrent.kernel': 0 });
      // the carried state (LSTM's c, GRU's z⊙h_{t−1}) is not masked, so nothing changes
      tf.tidy(() => {
        expect(Array.from(reg.apply(x, train).dataSync())).toEqual(
          Array.from(plain.apply(x, train).dataSync()),
        );
      });
      plain.dispose();
      reg.dispose();
    }
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('zoneout: each unit keeps h_{t−1} with probability p, with a mask drawn afresh every step (identity cell)', () => {
    const before = tf.memory().numTensors;
    const p = 0.4;
    const m = identityRNN(H, { zoneout: p, maskSeed: 3 });
    const y = tf.tidy(() => cube(m.apply(tf.ones([B, T, H]), train)));
    // h̃_t = h_{t−1} + 1, so every increment is 0 (zoned) or 1 (updated), exactly
    let zoned = 0;
    let varies = 0;
    for (let b = 0; b < B; b++)
      for (let i = 0; i < H; i++) {
        const inc: number[] = [];
        let prev = 0;
        for (let t = 0; t < T; t++) {
          const v = y[b]![t]![i]!;
          inc.push(v - prev);
          prev = v;
        }
        for (const d of inc) expect(d === 0 || d === 1).toBe(true);
        zoned += inc.filter((d) => d === 0).length;
        if (new Set(inc).size > 1) varies++;
      }
    expectBinomial(zoned, B * H * T, p);
    // a mask shared across steps would give constant increments for every unit
    expect(varies).toBeGreaterThan(B * H * 0.5);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('zoneout p = 0 is the plain model (vanilla, LSTM, GRU; training and inference)', () => {
    const before = tf.memory().numTensors;
    const x = seededNormal([2, 5, 3], 4);
    for (const build of [vanillaRNN, lstm, gru]) {
      const plain = build({ inputSize: 3, hiddenSize: 4, returnSequences: true, seed: 6 });
      const reg = build({ inputSize: 3, hiddenSize: 4, returnSequences: true, seed: 6, zoneout: 0 });
      tf.tidy(() => {
        for (const ctx of [train, infer])
          expect(Array.from(reg.apply(x, ctx).dataSync())).toEqual(
            Array.from(plain.apply(x, ctx).dataSync()),
          );
      });
      plain.dispose();
      reg.dispose();
    }
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('zoneout p = 1 keeps h_0 at every step, and ∂h_T/∂h_0 = I (vanilla, LSTM, GRU; training and inference)', () => {
    const before = tf.memory().numTensors;
    const x = seededNormal([2, 5, 3], 5);
    const h0 = seededNormal([2, 4], 6);
    const h0v = Array.from(h0.dataSync());
    for (const build of [vanillaRNN, lstm, gru]) {
      const m = build({ inputSize: 3, hiddenSize: 4, returnSequences: true, seed: 7, zoneout: 1 });
      for (const training of [true, false]) {
        tf.tidy(() => {
          const withH0 = (d: tf.Tensor): tf.Tensor =>
            m.apply(x, { training, tap: (n, t) => (n === 'h.init' ? tf.add(t, d) : t) });
          const y = withH0(h0);
          for (let t = 0; t < 5; t++)
            expect(Array.from(tf.slice(y, [0, t, 0], [2, 1, 4]).dataSync())).toEqual(h0v);
          const v = seededNormal([2, 4], 8);
          const g = tf.grad((d: tf.Tensor) =>
            tf.sum(tf.mul(tf.slice(withH0(d), [0, 4, 0], [2, 1, 4]).reshape([2, 4]), v)),
          )(tf.zeros([2, 4]));
          expect(Array.from(g.dataSync())).toEqual(Array.from(v.dataSync()));
        });
      }
      m.dispose();
    }
    tf.dispose([x, h0]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('zoneout in inference is deterministic and equals h_t = p·h_{t−1} + (1 − p)·h̃_t (float64 loop, vanilla tanh RNN)', () => {
    const before = tf.memory().numTensors;
    const F = 3;
    const Hs = 4;
    const Ts = 7;
    const p = 0.35;
    const m = vanillaRNN({ inputSize: F, hiddenSize: Hs, returnSequences: true, seed: 11, zoneout: p });
    const x = seededNormal([1, Ts, F], 12);
    const [U, b, W] = m.parameters().map((q) => Array.from(q.variable.dataSync()));
    const xs = Array.from(x.dataSync());
    const expected: number[] = [];
    let h = new Array<number>(Hs).fill(0);
    for (let t = 0; t < Ts; t++) {
      const next: number[] = [];
      for (let j = 0; j < Hs; j++) {
        let z = b![j]!;
        for (let i = 0; i < F; i++) z += xs[t * F + i]! * U![i * Hs + j]!;
        for (let i = 0; i < Hs; i++) z += h[i]! * W![i * Hs + j]!;
        next.push(p * h[j]! + (1 - p) * Math.tanh(z));
      }
      h = next;
      expected.push(...h);
    }
    const y1 = tf.tidy(() => Array.from(m.apply(x, infer).dataSync()));
    const y2 = tf.tidy(() => Array.from(m.apply(x, infer).dataSync()));
    expect(y2).toEqual(y1);
    y1.forEach((v, i) => {
      expect(Math.abs(v - expected[i]!)).toBeLessThan(1e-5);
    });
    tf.dispose(x);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('LSTM zoneout in inference zones c and h at their own rates (float64 loop of Krueger et al. eq. for c and h)', () => {
    const before = tf.memory().numTensors;
    const F = 2;
    const Hs = 3;
    const Ts = 6;
    const ph = 0.2;
    const pc = 0.7;
    const m = lstm({
      inputSize: F,
      hiddenSize: Hs,
      returnSequences: true,
      seed: 13,
      zoneout: ph,
      zoneoutCell: pc,
    });
    const x = seededNormal([1, Ts, F], 14);
    const [U, b, W] = m.parameters().map((q) => Array.from(q.variable.dataSync()));
    const xs = Array.from(x.dataSync());
    const sig = (v: number): number => 1 / (1 + Math.exp(-v));
    const G = 4 * Hs;
    let h = new Array<number>(Hs).fill(0);
    let c = new Array<number>(Hs).fill(0);
    const expected: number[] = [];
    for (let t = 0; t < Ts; t++) {
      const z: number[] = [];
      for (let j = 0; j < G; j++) {
        let s = b![j]!;
        for (let i = 0; i < F; i++) s += xs[t * F + i]! * U![i * G + j]!;
        for (let i = 0; i < Hs; i++) s += h[i]! * W![i * G + j]!;
        z.push(s);
      }
      const cNew: number[] = [];
      const hNew: number[] = [];
      for (let j = 0; j < Hs; j++) {
        const ct = sig(z[Hs + j]!) * c[j]! + sig(z[j]!) * Math.tanh(z[2 * Hs + j]!);
        const ht = sig(z[3 * Hs + j]!) * Math.tanh(ct);
        cNew.push(pc * c[j]! + (1 - pc) * ct);
        hNew.push(ph * h[j]! + (1 - ph) * ht);
      }
      c = cNew;
      h = hNew;
      expected.push(...h);
    }
    const y = tf.tidy(() => Array.from(m.apply(x, infer).dataSync()));
    y.forEach((v, i) => {
      expect(Math.abs(v - expected[i]!)).toBeLessThan(1e-5);
    });
    tf.dispose(x);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('temporal dropout: h_t = d_t ⊙ h̃_t with a fresh mask every step, carried to the next step (identity cell)', () => {
    const before = tf.memory().numTensors;
    const p = 0.25;
    const q = 1 / (1 - p);
    const m = identityRNN(H, { temporalDropout: p, maskSeed: 4 });
    const y = tf.tidy(() => cube(m.apply(tf.ones([B, T, H]), train)));
    let dropped = 0;
    let varies = 0;
    for (let b = 0; b < B; b++)
      for (let i = 0; i < H; i++) {
        let prev = 0;
        const kinds = new Set<boolean>();
        for (let t = 0; t < T; t++) {
          const v = y[b]![t]![i]!;
          const isDropped = v === 0;
          if (isDropped) dropped++;
          else expect(v).toBeCloseTo(q * (prev + 1), 4);
          kinds.add(isDropped);
          prev = v;
        }
        if (kinds.size > 1) varies++;
      }
    expectBinomial(dropped, B * H * T, p);
    expect(varies).toBeGreaterThan(B * H * 0.5);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('dropout variants are the identity in inference; masks are seeded and change from one training call to the next', () => {
    const before = tf.memory().numTensors;
    const x = seededNormal([2, 5, 3], 15);
    const opts = { inputSize: 3, hiddenSize: 8, returnSequences: true, seed: 16 };
    const plain = lstm(opts);
    const a = lstm({ ...opts, recurrentDropout: 0.5, temporalDropout: 0.5, zoneout: 0.3, maskSeed: 1 });
    const b = lstm({ ...opts, recurrentDropout: 0.5, temporalDropout: 0.5, zoneout: 0.3, maskSeed: 1 });
    const c = lstm({ ...opts, recurrentDropout: 0.5, temporalDropout: 0.5, maskSeed: 2 });
    const d = lstm({ ...opts, recurrentDropout: 0.5, temporalDropout: 0.5 });
    tf.tidy(() => {
      const ref = Array.from(plain.apply(x, infer).dataSync());
      expect(Array.from(c.apply(x, infer).dataSync())).toEqual(ref);
      const a1 = Array.from(a.apply(x, train).dataSync());
      const b1 = Array.from(b.apply(x, train).dataSync());
      const a2 = Array.from(a.apply(x, train).dataSync());
      expect(b1).toEqual(a1);
      expect(a2).not.toEqual(a1);
      // another mask seed gives other masks; the mask seed defaults to the model seed
      const c1 = Array.from(c.apply(x, train).dataSync());
      const d1 = Array.from(d.apply(x, train).dataSync());
      expect(c1).not.toEqual(d1);
      const e = lstm({ ...opts, recurrentDropout: 0.5, temporalDropout: 0.5, maskSeed: 16 });
      expect(Array.from(e.apply(x, train).dataSync())).toEqual(d1);
      e.dispose();
    });
    for (const mm of [plain, a, b, c, d]) mm.dispose();
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaks no tensor across 20 training passes with every regularizer on (vanilla, LSTM, GRU, stacked)', () => {
    const x = seededNormal([2, 4, 3], 17);
    const reg = { recurrentDropout: 0.2, zoneout: 0.1, temporalDropout: 0.1 };
    const models = [
      vanillaRNN({ inputSize: 3, hiddenSize: 4, outputSize: 2, layers: 2, ...reg }),
      lstm({ inputSize: 3, hiddenSize: 4, outputSize: 2, zoneoutCell: 0.5, ...reg }),
      gru({ inputSize: 3, hiddenSize: 4, outputSize: 2, ...reg }),
    ];
    for (const m of models) {
      const vars = m.parameters().map((p) => p.variable);
      const pass = (): void =>
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => tf.sum(m.apply(x, train)), vars);
          expect(Number.isFinite(value.dataSync()[0])).toBe(true);
          value.dispose();
          for (const g of Object.values(grads)) g.dispose();
        });
      pass();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 20; i++) pass();
      expect(tf.memory().numTensors).toBe(before);
      m.dispose();
    }
    x.dispose();
  });

  it('rates outside [0, 1) (zoneout: [0, 1]) → InvalidArgumentError before any tensor', () => {
    const before = tf.memory().numTensors;
    const base = { inputSize: 2, hiddenSize: 3 };
    const cases: [() => unknown, RegExp][] = [
      [
        () => vanillaRNN({ ...base, recurrentDropout: 1 }),
        /^vanillaRNN: options\.recurrentDropout must be a finite number in \[0, 1\), got 1$/,
      ],
      [
        () => gru({ ...base, recurrentDropout: -0.1 }),
        /^gru: options\.recurrentDropout must be a finite number in \[0, 1\), got -0\.1$/,
      ],
      [
        () => lstm({ ...base, temporalDropout: 1 }),
        /^lstm: options\.temporalDropout must be a finite number in \[0, 1\), got 1$/,
      ],
      [
        () => lstm({ ...base, zoneout: 1.5 }),
        /^lstm: options\.zoneout must be a finite number in \[0, 1\], got 1\.5$/,
      ],
      [
        () => lstm({ ...base, zoneoutCell: -1 }),
        /^lstm: options\.zoneoutCell must be a finite number in \[0, 1\], got -1$/,
      ],
      [
        () => vanillaRNN({ ...base, zoneout: Number.NaN }),
        /^vanillaRNN: options\.zoneout must be a finite number in \[0, 1\], got NaN$/,
      ],
      [
        () => gru({ ...base, maskSeed: Number.POSITIVE_INFINITY }),
        /^gru: options\.maskSeed must be a finite number/,
      ],
    ];
    for (const [f, re] of cases) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(GflowError);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toMatch(re);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
