import { initBackend } from '@gflow/backend';
import {
  GRU_SEQUENCE,
  GRU_SEQUENCE_GRAD,
  LSTM_SEQUENCE,
  LSTM_SEQUENCE_GRAD,
  TANH_RNN_SEQUENCE,
  TANH_RNN_SEQUENCE_GRAD,
} from '@gflow/core/internal';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fusedGru, fusedGruAvailable } from '../internal/fused-gru.js';
import { fusedLstm, fusedLstmAvailable } from '../internal/fused-lstm.js';
import { fusedTanhRnn, fusedTanhRnnAvailable } from '../internal/fused-tanh-rnn.js';
import type { Context } from '../module.js';
import { seededNormal } from '../test-utils/gradcheck.js';
import { gru } from './gru.js';
import { lstm } from './lstm.js';
import { vanillaRNN } from './vanilla-rnn.js';

/** Runs `body` with the fused kernels unregistered: the stepwise path, as on an engine without them. */
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
    expect(fusedTanhRnnAvailable() || fusedLstmAvailable() || fusedGruAvailable()).toBe(false);
    return body();
  } finally {
    for (const k of saved) tf.registerKernel(k);
  }
}

/** ‖a − b‖ / ‖b‖. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += ((a[i] as number) - (b[i] as number)) ** 2;
    den += (b[i] as number) ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-300));
}

/** Deterministic float64 values in [−scale, scale) (a small LCG; test data only). */
function values(n: number, seed: number, scale = 1): Float64Array {
  let s = seed >>> 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = Math.fround(((s / 4294967296) * 2 - 1) * scale);
  }
  return out;
}

/** L = Σ c ⊙ h + ½‖h‖² in float64 for h = the tanh RNN of (u, w, h0), from the packed vector p. */
function refLoss(p: Float64Array, c: Float64Array, b: number, T: number, n: number): number {
  const w = p.subarray(0, n * n);
  const u = p.subarray(n * n, n * n + b * T * n);
  const h0 = p.subarray(n * n + b * T * n);
  let loss = 0;
  for (let i = 0; i < b; i++) {
    let prev = Array.from(h0.subarray(i * n, (i + 1) * n));
    for (let t = 0; t < T; t++) {
      const next: number[] = [];
      for (let j = 0; j < n; j++) {
        let z = u[(i * T + t) * n + j] as number;
        for (let k = 0; k < n; k++) z += (prev[k] as number) * (w[k * n + j] as number);
        const h = Math.tanh(z);
        next.push(h);
        loss += (c[(i * T + t) * n + j] as number) * h + 0.5 * h * h;
      }
      prev = next;
    }
  }
  return loss;
}

/** L = Σ c ⊙ h + ½‖h‖² in float64 for the LSTM of the packed [w (n×4n) | u (b×T×4n) | h0]. */
function refLstmLoss(p: Float64Array, cw: Float64Array, b: number, T: number, n: number): number {
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  const w = p.subarray(0, 4 * n * n);
  const u = p.subarray(4 * n * n, 4 * n * n + b * T * 4 * n);
  const h0 = p.subarray(4 * n * n + b * T * 4 * n);
  let loss = 0;
  for (let i = 0; i < b; i++) {
    let hp = Array.from(h0.subarray(i * n, (i + 1) * n));
    let cp = new Array<number>(n).fill(0);
    for (let t = 0; t < T; t++) {
      const z: number[] = [];
      for (let q = 0; q < 4 * n; q++) {
        let v = u[(i * T + t) * 4 * n + q] as number;
        for (let k = 0; k < n; k++) v += (hp[k] as number) * (w[k * 4 * n + q] as number);
        z.push(v);
      }
      const hn: number[] = [];
      const cn: number[] = [];
      for (let j = 0; j < n; j++) {
        const c =
          sig(z[n + j] as number) * (cp[j] as number) +
          sig(z[j] as number) * Math.tanh(z[2 * n + j] as number);
        const h = sig(z[3 * n + j] as number) * Math.tanh(c);
        cn.push(c);
        hn.push(h);
        loss += (cw[(i * T + t) * n + j] as number) * h + 0.5 * h * h;
      }
      hp = hn;
      cp = cn;
    }
  }
  return loss;
}

/** ‖Hv − float64 mixed central differences‖ and the gradient's error, for f at p0 along v0. */
function checkHvp(
  f: (p: tf.Tensor) => tf.Scalar,
  L: (q: Float64Array) => number,
  p0: Float64Array,
  v0: Float64Array,
): { gradErr: number; hvpErr: number } {
  const m = p0.length;
  const [grad, hvp] = tf.tidy(() => {
    const p = tf.tensor1d(Float32Array.from(p0));
    const v = tf.tensor1d(Float32Array.from(v0));
    const g = tf.grad(f);
    const hv = tf.grad((q: tf.Tensor) => tf.sum(tf.mul(g(q), v)))(p);
    return [g(p).dataSync().slice(), hv.dataSync().slice()];
  });
  const refGrad = new Float64Array(m);
  const refHvp = new Float64Array(m);
  const h = 1e-4;
  const at = (i: number, si: number, sv: number): number => {
    const q = Float64Array.from(p0);
    for (let j = 0; j < m; j++) q[j] = (q[j] as number) + sv * h * (v0[j] as number);
    q[i] = (q[i] as number) + si * h;
    return L(q);
  };
  for (let i = 0; i < m; i++) {
    const qp = Float64Array.from(p0);
    const qm = Float64Array.from(p0);
    qp[i] = (qp[i] as number) + 1e-6;
    qm[i] = (qm[i] as number) - 1e-6;
    refGrad[i] = (L(qp) - L(qm)) / 2e-6;
    refHvp[i] = (at(i, 1, 1) - at(i, 1, -1) - at(i, -1, 1) + at(i, -1, -1)) / (4 * h * h);
  }
  return { gradErr: relErr(grad, refGrad), hvpErr: relErr(hvp, refHvp) };
}

describe('fused LSTM (one op per sequence on wasm)', () => {
  beforeAll(async () => {
    await initBackend();
    expect(fusedLstmAvailable()).toBe(true);
  });

  it.each([
    { b: 1, T: 1, inputSize: 1, hiddenSize: 1, layers: 1, returnSequences: false, chrono: undefined },
    { b: 3, T: 7, inputSize: 2, hiddenSize: 5, layers: 2, returnSequences: true, chrono: undefined },
    { b: 4, T: 25, inputSize: 3, hiddenSize: 9, layers: 1, returnSequences: false, chrono: 20 },
  ])(
    'equals the stepwise path: output and ∂L/∂(every parameter, x) within 2e-5 ($b×$T×$inputSize → $hiddenSize, layers $layers)',
    ({ b, T, inputSize, hiddenSize, layers, returnSequences, chrono }) => {
      const before = tf.memory().numTensors;
      const net = lstm({
        inputSize,
        hiddenSize,
        layers,
        returnSequences,
        outputSize: 2,
        ...(chrono === undefined ? {} : { chrono }),
        seed: b + T,
      });
      const x = seededNormal([b, T, inputSize], T);
      const vars = net.parameters().map((p) => p.variable);
      const run = (): Float32Array[] =>
        tf.tidy(() => {
          const f = (xx: tf.Tensor) => tf.mul(0.5, tf.sum(tf.square(net.apply(xx)))) as tf.Scalar;
          const { value, grads } = tf.variableGrads(() => f(x), vars);
          const dx = tf.grad(f)(x);
          return [
            value.dataSync() as Float32Array,
            ...vars.map((v) => (grads[v.name] as tf.Tensor).dataSync() as Float32Array),
            dx.dataSync() as Float32Array,
          ].map((a) => a.slice());
        });
      const fused = run();
      const ref = stepwise(run);
      fused.forEach((a, i) => {
        expect(relErr(a, ref[i] as Float32Array)).toBeLessThan(2e-5);
      });
      x.dispose();
      net.dispose();
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('keeps second derivatives exact: a Hessian-vector product through the fused LSTM equals float64 finite differences (w, u, h0 together)', () => {
    const [b, T, n] = [2, 4, 2];
    const m = 4 * n * n + b * T * 4 * n + b * n;
    const p0 = values(m, 21, 0.8);
    const v0 = values(m, 22);
    const c = values(b * T * n, 23);
    const before = tf.memory().numTensors;
    const cT = tf.tensor3d(Float32Array.from(c), [b, T, n]);
    const { gradErr, hvpErr } = checkHvp(
      (p) => {
        const w = tf.reshape(tf.slice(p, 0, 4 * n * n), [n, 4 * n]) as tf.Tensor2D;
        const u = tf.reshape(tf.slice(p, 4 * n * n, b * T * 4 * n), [b, T, 4 * n]) as tf.Tensor3D;
        const h0 = tf.reshape(tf.slice(p, 4 * n * n + b * T * 4 * n, b * n), [b, n]) as tf.Tensor2D;
        const h = fusedLstm(u, w, h0);
        return tf.add(tf.sum(tf.mul(cT, h)), tf.mul(0.5, tf.sum(tf.square(h)))) as tf.Scalar;
      },
      (q) => refLstmLoss(q, c, b, T, n),
      p0,
      v0,
    );
    cT.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(gradErr).toBeLessThan(1e-5);
    expect(hvpErr).toBeLessThan(1e-4);
  });

  it('a Hessian-vector product through lstm (w.r.t. x) is the same fused and stepwise', () => {
    const net = lstm({ inputSize: 3, hiddenSize: 4, outputSize: 2, seed: 4 });
    const x = seededNormal([2, 6, 3], 5);
    const v = seededNormal([2, 6, 3], 6);
    const hvp = (): Float32Array =>
      tf.tidy(() => {
        const g = tf.grad((xx: tf.Tensor) => tf.sum(tf.square(net.apply(xx))) as tf.Scalar);
        return tf
          .grad((xx: tf.Tensor) => tf.sum(tf.mul(g(xx), v)))(x)
          .dataSync() as Float32Array;
      });
    const fused = hvp();
    expect(relErr(fused, stepwise(hvp))).toBeLessThan(2e-5);
    for (const t of [x, v]) t.dispose();
    net.dispose();
  });
});

/** L = Σ c ⊙ h + ½‖h‖² in float64 for the GRU of the packed [w (n×3n) | b (3n) | u (b×T×3n) | h0]. */
function refGruLoss(p: Float64Array, cw: Float64Array, b: number, T: number, n: number): number {
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  const w = p.subarray(0, 3 * n * n);
  const bias = p.subarray(3 * n * n, 3 * n * n + 3 * n);
  const u = p.subarray(3 * n * n + 3 * n, 3 * n * n + 3 * n + b * T * 3 * n);
  const h0 = p.subarray(3 * n * n + 3 * n + b * T * 3 * n);
  let loss = 0;
  for (let i = 0; i < b; i++) {
    let hp = Array.from(h0.subarray(i * n, (i + 1) * n));
    for (let t = 0; t < T; t++) {
      const y: number[] = [];
      for (let q = 0; q < 3 * n; q++) {
        let v = bias[q] as number;
        for (let k = 0; k < n; k++) v += (hp[k] as number) * (w[k * 3 * n + q] as number);
        y.push(v);
      }
      const uo = (i * T + t) * 3 * n;
      const hn: number[] = [];
      for (let j = 0; j < n; j++) {
        const r = sig((u[uo + j] as number) + (y[j] as number));
        const z = sig((u[uo + n + j] as number) + (y[n + j] as number));
        const nn = Math.tanh((u[uo + 2 * n + j] as number) + r * (y[2 * n + j] as number));
        const h = nn + z * ((hp[j] as number) - nn);
        hn.push(h);
        loss += (cw[(i * T + t) * n + j] as number) * h + 0.5 * h * h;
      }
      hp = hn;
    }
  }
  return loss;
}

describe('fused GRU (one op per sequence on wasm)', () => {
  beforeAll(async () => {
    await initBackend();
    expect(fusedGruAvailable()).toBe(true);
  });

  it.each([
    { b: 1, T: 1, inputSize: 1, hiddenSize: 1, layers: 1, returnSequences: false },
    { b: 3, T: 7, inputSize: 2, hiddenSize: 5, layers: 2, returnSequences: true },
    { b: 4, T: 25, inputSize: 3, hiddenSize: 9, layers: 1, returnSequences: false },
  ])(
    'equals the stepwise path: output and ∂L/∂(every parameter, x) within 2e-5 ($b×$T×$inputSize → $hiddenSize, layers $layers)',
    ({ b, T, inputSize, hiddenSize, layers, returnSequences }) => {
      const before = tf.memory().numTensors;
      const net = gru({
        inputSize,
        hiddenSize,
        layers,
        returnSequences,
        outputSize: 2,
        chrono: 10,
        seed: b + T,
      });
      // a non-zero recurrent bias, so that its gradient path is exercised
      for (const p of net.parameters()) {
        if (p.name.endsWith('recurrent.bias'))
          tf.tidy(() => p.variable.assign(tf.mul(seededNormal(p.variable.shape, 9), 0.5)));
      }
      const x = seededNormal([b, T, inputSize], T);
      const vars = net.parameters().map((p) => p.variable);
      const run = (): Float32Array[] =>
        tf.tidy(() => {
          const f = (xx: tf.Tensor) => tf.mul(0.5, tf.sum(tf.square(net.apply(xx)))) as tf.Scalar;
          const { value, grads } = tf.variableGrads(() => f(x), vars);
          const dx = tf.grad(f)(x);
          return [
            value.dataSync() as Float32Array,
            ...vars.map((v) => (grads[v.name] as tf.Tensor).dataSync() as Float32Array),
            dx.dataSync() as Float32Array,
          ].map((a) => a.slice());
        });
      const fused = run();
      const ref = stepwise(run);
      fused.forEach((a, i) => {
        expect(relErr(a, ref[i] as Float32Array)).toBeLessThan(2e-5);
      });
      x.dispose();
      net.dispose();
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('keeps second derivatives exact: a Hessian-vector product through the fused GRU equals float64 finite differences (w, b, u, h0 together)', () => {
    const [b, T, n] = [2, 4, 2];
    const sizes = [3 * n * n, 3 * n, b * T * 3 * n, b * n];
    const m = sizes.reduce((x, y) => x + y, 0);
    const p0 = values(m, 31, 0.8);
    const v0 = values(m, 32);
    const c = values(b * T * n, 33);
    const before = tf.memory().numTensors;
    const cT = tf.tensor3d(Float32Array.from(c), [b, T, n]);
    const { gradErr, hvpErr } = checkHvp(
      (p) => {
        const [w, bias, u, h0] = tf.split(p, sizes);
        const h = fusedGru(
          tf.reshape(u as tf.Tensor, [b, T, 3 * n]) as tf.Tensor3D,
          tf.reshape(w as tf.Tensor, [n, 3 * n]) as tf.Tensor2D,
          bias as tf.Tensor1D,
          tf.reshape(h0 as tf.Tensor, [b, n]) as tf.Tensor2D,
        );
        return tf.add(tf.sum(tf.mul(cT, h)), tf.mul(0.5, tf.sum(tf.square(h)))) as tf.Scalar;
      },
      (q) => refGruLoss(q, c, b, T, n),
      p0,
      v0,
    );
    cT.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(gradErr).toBeLessThan(1e-5);
    expect(hvpErr).toBeLessThan(1e-4);
  });

  it('a Hessian-vector product through gru (w.r.t. x) is the same fused and stepwise', () => {
    const net = gru({ inputSize: 3, hiddenSize: 4, outputSize: 2, seed: 4 });
    const x = seededNormal([2, 6, 3], 5);
    const v = seededNormal([2, 6, 3], 6);
    const hvp = (): Float32Array =>
      tf.tidy(() => {
        const g = tf.grad((xx: tf.Tensor) => tf.sum(tf.square(net.apply(xx))) as tf.Scalar);
        return tf
          .grad((xx: tf.Tensor) => tf.sum(tf.mul(g(xx), v)))(x)
          .dataSync() as Float32Array;
      });
    const fused = hvp();
    expect(relErr(fused, stepwise(hvp))).toBeLessThan(2e-5);
    for (const t of [x, v]) t.dispose();
    net.dispose();
  });
});

describe('fused tanh RNN (one op per sequence on wasm)', () => {
  beforeAll(async () => {
    const info = await initBackend();
    expect(info.name).toBe('wasm');
    expect(fusedTanhRnnAvailable()).toBe(true);
  });

  const configs = [
    { b: 1, T: 1, inputSize: 1, hiddenSize: 1, layers: 1, returnSequences: false, outputSize: undefined },
    { b: 3, T: 1, inputSize: 2, hiddenSize: 5, layers: 1, returnSequences: true, outputSize: undefined },
    { b: 2, T: 9, inputSize: 3, hiddenSize: 1, layers: 1, returnSequences: false, outputSize: 2 },
    { b: 4, T: 13, inputSize: 5, hiddenSize: 7, layers: 2, returnSequences: true, outputSize: 3 },
    { b: 5, T: 30, inputSize: 4, hiddenSize: 16, layers: 1, returnSequences: false, outputSize: undefined },
  ];

  it.each(configs)(
    'equals the stepwise path: output and ∂L/∂(every parameter, x) within 2e-5 ($b×$T×$inputSize → $hiddenSize, layers $layers)',
    ({ b, T, inputSize, hiddenSize, layers, returnSequences, outputSize }) => {
      const before = tf.memory().numTensors;
      const rnn = vanillaRNN({
        inputSize,
        hiddenSize,
        layers,
        returnSequences,
        ...(outputSize === undefined ? {} : { outputSize }),
        recurrentInit: { name: 'orthogonal', gain: 1.1 },
        seed: b + T,
      });
      const x = seededNormal([b, T, inputSize], T);
      const vars = rnn.parameters().map((p) => p.variable);
      const run = (): Float32Array[] =>
        tf.tidy(() => {
          const f = (xx: tf.Tensor) => tf.mul(0.5, tf.sum(tf.square(rnn.apply(xx)))) as tf.Scalar;
          const { value, grads } = tf.variableGrads(() => f(x), vars);
          const dx = tf.grad(f)(x);
          return [
            value.dataSync() as Float32Array,
            (rnn.apply(x).dataSync() as Float32Array).slice(),
            ...vars.map((v) => (grads[v.name] as tf.Tensor).dataSync() as Float32Array),
            dx.dataSync() as Float32Array,
          ].map((a) => a.slice());
        });
      const fused = run();
      const ref = stepwise(run);
      fused.forEach((a, i) => {
        expect(relErr(a, ref[i] as Float32Array)).toBeLessThan(2e-5);
      });
      x.dispose();
      rnn.dispose();
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('runs a handful of kernels per layer, where the stepwise path runs several per step', async () => {
    const rnn = vanillaRNN({ inputSize: 2, hiddenSize: 3, seed: 1 });
    const x = seededNormal([2, 40, 2], 1);
    const kernels = async (ctx?: Context): Promise<number> =>
      (
        await tf.profile(() => {
          rnn.apply(x, ctx).dispose();
        })
      ).kernels.length;
    // a listening context without tapSteps runs step by step; the identity context fused
    expect(await kernels({ training: false, tap: (_name, t) => t })).toBeGreaterThan(120);
    expect(await kernels()).toBeLessThan(12);
    x.dispose();
    rnn.dispose();
  });

  it('keeps second derivatives exact: a Hessian-vector product through the fused op equals float64 finite differences (w, u, h0 together)', () => {
    const [b, T, n] = [2, 5, 3];
    const m = n * n + b * T * n + b * n;
    const p0 = values(m, 11, 0.8);
    const v0 = values(m, 12);
    const c = values(b * T * n, 13);
    const before = tf.memory().numTensors;
    const [grad, hvp] = tf.tidy(() => {
      const cT = tf.tensor3d(Float32Array.from(c), [b, T, n]);
      const f = (p: tf.Tensor): tf.Scalar => {
        const w = tf.reshape(tf.slice(p, 0, n * n), [n, n]) as tf.Tensor2D;
        const u = tf.reshape(tf.slice(p, n * n, b * T * n), [b, T, n]) as tf.Tensor3D;
        const h0 = tf.reshape(tf.slice(p, n * n + b * T * n, b * n), [b, n]) as tf.Tensor2D;
        const h = fusedTanhRnn(u, w, h0);
        return tf.add(tf.sum(tf.mul(cT, h)), tf.mul(0.5, tf.sum(tf.square(h)))) as tf.Scalar;
      };
      const p = tf.tensor1d(Float32Array.from(p0));
      const v = tf.tensor1d(Float32Array.from(v0));
      const g = tf.grad(f);
      const hv = tf.grad((q: tf.Tensor) => tf.sum(tf.mul(g(q), v)))(p);
      return [g(p).dataSync().slice(), hv.dataSync().slice()];
    });
    expect(tf.memory().numTensors).toBe(before);
    // float64 central differences: the gradient, and Hv as mixed differences along eᵢ and v
    const L = (q: Float64Array) => refLoss(q, c, b, T, n);
    const refGrad = new Float64Array(m);
    const refHvp = new Float64Array(m);
    const h = 1e-4;
    const at = (i: number, si: number, sv: number): number => {
      const q = Float64Array.from(p0);
      for (let j = 0; j < m; j++) q[j] = (q[j] as number) + sv * h * (v0[j] as number);
      q[i] = (q[i] as number) + si * h;
      return L(q);
    };
    for (let i = 0; i < m; i++) {
      const qp = Float64Array.from(p0);
      const qm = Float64Array.from(p0);
      qp[i] = (qp[i] as number) + 1e-6;
      qm[i] = (qm[i] as number) - 1e-6;
      refGrad[i] = (L(qp) - L(qm)) / 2e-6;
      refHvp[i] = (at(i, 1, 1) - at(i, 1, -1) - at(i, -1, 1) + at(i, -1, -1)) / (4 * h * h);
    }
    expect(relErr(grad, refGrad)).toBeLessThan(1e-5);
    expect(relErr(hvp, refHvp)).toBeLessThan(1e-4);
  });

  it('a listener sees h.init through the fused op whether the parameters or only x are watched, as on the stepwise path', () => {
    const before = tf.memory().numTensors;
    const rnn = vanillaRNN({ inputSize: 3, hiddenSize: 5, seed: 12 });
    const x = seededNormal([2, 7, 3], 13);
    const vars = rnn.parameters().map((p) => p.variable);
    /** ∂L/∂(every tap) and how many fused step sinks ran, with x or the parameters watched. */
    const observe = (watchX: boolean): { seen: Map<string, Float32Array>; sinks: number } => {
      const seen = new Map<string, Float32Array>();
      let sinks = 0;
      const ctx: Context = {
        training: false,
        tap: (name, t) =>
          tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
            value: tf.clone(args[0] as tf.Tensor),
            gradFunc: (dy: tf.Tensor) => {
              seen.set(name, (dy.dataSync() as Float32Array).slice());
              return tf.clone(dy);
            },
          }))(t),
        tapSteps: (names) => (grads) => {
          sinks++;
          const all = grads.dataSync() as Float32Array;
          const per = all.length / names.length;
          names.forEach((n, t) => {
            seen.set(n, all.slice(t * per, (t + 1) * per));
          });
        },
      };
      tf.tidy(() => {
        const f = (xx: tf.Tensor) => tf.mul(0.5, tf.sum(tf.square(rnn.apply(xx, ctx)))) as tf.Scalar;
        if (watchX) tf.grad(f)(x);
        else {
          const r = tf.variableGrads(() => f(x), vars);
          tf.dispose([r.value, ...Object.values(r.grads)]);
        }
      });
      return { seen, sinks };
    };
    const byParams = observe(false);
    const byX = observe(true);
    const ref = stepwise(() => observe(false));
    expect([byParams.sinks, byX.sinks, ref.sinks]).toEqual([1, 1, 0]);
    for (const name of ['h.init', 'h.0', 'h.6']) {
      const want = ref.seen.get(name) as Float32Array;
      expect(want, name).toBeDefined();
      expect(Math.max(...want.map(Math.abs)), name).toBeGreaterThan(0);
      for (const got of [byParams.seen.get(name), byX.seen.get(name)]) {
        expect(got, name).toBeDefined();
        expect(relErr(got as Float32Array, want), name).toBeLessThan(2e-5);
      }
    }
    x.dispose();
    rnn.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a Hessian-vector product through vanillaRNN (w.r.t. x) is the same fused and stepwise, and the fused one leaks nothing', () => {
    const rnn = vanillaRNN({ inputSize: 3, hiddenSize: 6, outputSize: 2, seed: 4 });
    const x = seededNormal([2, 8, 3], 5);
    const v = seededNormal([2, 8, 3], 6);
    const hvp = (): Float32Array =>
      tf.tidy(() => {
        const g = tf.grad((xx: tf.Tensor) => tf.sum(tf.square(rnn.apply(xx))) as tf.Scalar);
        return tf
          .grad((xx: tf.Tensor) => tf.sum(tf.mul(g(xx), v)))(x)
          .dataSync() as Float32Array;
      });
    const before = tf.memory().numTensors;
    const fused = hvp();
    expect(tf.memory().numTensors).toBe(before);
    const ref = stepwise(hvp);
    expect(relErr(fused, ref)).toBeLessThan(2e-5);
    for (const t of [x, v]) t.dispose();
    rnn.dispose();
  });
});
