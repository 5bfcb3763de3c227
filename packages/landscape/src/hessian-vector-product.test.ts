import { initBackend, meanSquaredError, softmaxCrossEntropy } from '@gflow/backend';
import { GflowError } from '@gflow/core';
import type { Parameter } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { hessianVectorProduct } from './hessian-vector-product.js';
import { Random } from './internal/random.js';
import { checkSecondOrderGradients } from './second-order-check.js';
import {
  type Act,
  bits,
  classification,
  convNet,
  mlp,
  type TestModule,
  variableOf,
} from './test-utils/models.js';

beforeAll(async () => {
  await initBackend();
});

function flat(pv: readonly { values: readonly number[] }[]): number[] {
  return pv.flatMap((p) => p.values);
}

function relDiff(a: number[], b: number[]): number {
  let num = 0;
  let den = 0;
  a.forEach((x, i) => {
    num += (x - b[i]!) ** 2;
    den += b[i]! ** 2;
  });
  return Math.sqrt(num / den);
}

function randomVector(m: TestModule, seed: number): number[] {
  const n = m.parameters().reduce((s, p) => s + p.variable.size, 0);
  return Array.from(new Random(seed).normalVector(n));
}

describe('hessianVectorProduct on a quadratic (closed form)', () => {
  // L(θ) = ½ Σ c_i θ_i² + θ_0 θ_1, so H = diag(c) + (e_0 e_1ᵀ + e_1 e_0ᵀ).
  it('gives H v exactly in both modes and leaves the parameters bit-identical', () => {
    const before = tf.memory().numTensors;
    const w = variableOf([0.5, -1, 2], [3], 'quad-w');
    const params: Parameter[] = [{ name: 'w', role: 'kernel', variable: w }];
    const c = tf.tensor1d([1, 3, -2]);
    const lossFn = () =>
      tf.tidy(
        () =>
          tf.add(
            tf.mul(0.5, tf.sum(tf.mul(c, tf.square(w)))),
            tf.mul(tf.slice(w, 0, 1), tf.slice(w, 1, 1)).reshape([]),
          ) as tf.Scalar,
      );
    const v = [[1, 2, 3]].map((values) => ({ name: 'w', shape: [3], values }));
    const want = [1 * 1 + 2, 3 * 2 + 1, -2 * 3]; // [c0 v0 + v1, c1 v1 + v0, c2 v2]
    const snapshot = new Uint8Array(w.dataSync().slice().buffer);
    for (const mode of ['exact', 'finite-difference', 'auto'] as const) {
      const r = hessianVectorProduct(lossFn, params, v, { mode });
      flat(r.product).forEach((x, i) => {
        expect(x).toBeCloseTo(want[i]!, mode === 'exact' ? 5 : 3);
      });
      expect(r.mode).toBe(mode === 'finite-difference' ? 'finite-difference' : 'exact');
      expect(new Uint8Array(w.dataSync().slice().buffer)).toEqual(snapshot);
    }
    c.dispose();
    w.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('averages over an iterable of batches', () => {
    // Batch b contributes ½ b ‖w‖²; the mean over b = 1, 3 is ‖w‖², so H v = 2 v.
    const w = variableOf([1, 2], [2], 'batch-w');
    const params: Parameter[] = [{ name: 'w', role: 'kernel', variable: w }];
    function* batches() {
      yield 1;
      yield 3;
    }
    const r = hessianVectorProduct(
      {
        loss: (b: number) => tf.tidy(() => tf.mul(0.5 * b, tf.sum(tf.square(w))) as tf.Scalar),
        batches: batches(),
      },
      params,
      [1, -1],
      {
        mode: 'exact',
      },
    );
    expect(flat(r.product)).toEqual([2, -2]);
    w.dispose();
  });
});

describe('exact products match finite differences within 1e-3 (softmax cross-entropy)', () => {
  // Finite differences use only first derivatives, which tfjs gets right; the exact products need
  // @gflow/backend's second-order registrations for tanh, sigmoid and conv2d.
  const cases: { name: string; make: () => { m: TestModule; data: ReturnType<typeof classification> } }[] = [
    ...(['tanh', 'sigmoid', 'relu'] as Act[]).map((activation) => ({
      name: `MLP (${activation})`,
      make: () => ({
        m: mlp({ inputs: 6, hidden: 8, outputs: 4, activation, seed: 21 }),
        data: classification(5, 16, [6], 4),
      }),
    })),
    ...(['relu', 'tanh'] as Act[]).map((activation) => ({
      name: `conv net (${activation})`,
      make: () => ({
        m: convNet({ cin: 2, cout: 3, outputs: 3, activation, seed: 8 }),
        data: classification(9, 6, [5, 5, 2], 3),
      }),
    })),
  ];
  for (const { name, make } of cases) {
    it(name, () => {
      const { m, data } = make();
      const before = tf.memory().numTensors;
      const snapshot = bits(m);
      const lossFn = () => softmaxCrossEntropy(data.ys, m.apply(data.xs));
      for (const seed of [1, 2]) {
        const v = randomVector(m, seed);
        const exact = hessianVectorProduct(lossFn, m, v, { mode: 'exact' });
        const fd = hessianVectorProduct(lossFn, m, v, { mode: 'finite-difference', eps: 1e-3 });
        expect(exact.mode).toBe('exact');
        expect(fd.mode).toBe('finite-difference');
        expect(relDiff(flat(exact.product), flat(fd.product))).toBeLessThan(1e-3);
        const auto = hessianVectorProduct(lossFn, m, v);
        expect(auto.mode).toBe('exact');
        expect(auto.modeReason).toMatch(/matched finite differences/);
      }
      expect(bits(m)).toEqual(snapshot);
      expect(tf.memory().numTensors).toBe(before);
      m.dispose();
      data.xs.dispose();
      data.ys.dispose();
    });
  }
});

describe("mode 'auto'", () => {
  it('falls back to finite differences when the loss differentiates twice wrongly (tf.losses, customGrad)', () => {
    const m = mlp({ inputs: 3, hidden: 5, outputs: 3, activation: 'tanh', seed: 2 });
    const data = classification(3, 8, [3], 3);
    const lossFn = () => tf.losses.softmaxCrossEntropy(data.ys, m.apply(data.xs)) as tf.Scalar;
    const v = randomVector(m, 4);
    const auto = hessianVectorProduct(lossFn, m, v);
    expect(auto.mode).toBe('finite-difference');
    expect(auto.modeReason).toMatch(/disagree/);
    // The cross-check's finer step: h/2, i.e. eps = 5e-4.
    const fd = hessianVectorProduct(lossFn, m, v, { mode: 'finite-difference', eps: 5e-4 });
    expect(flat(auto.product)).toEqual(flat(fd.product));
    m.dispose();
    data.xs.dispose();
    data.ys.dispose();
  });

  it('keeps exact products when finite differences are not self-consistent (ReLU kinks)', () => {
    // With many ReLU units near their kink, finite differences at steps h and h/2 disagree with
    // each other, so they cannot judge the exact product.
    const m = mlp({ inputs: 8, hidden: 64, outputs: 3, activation: 'relu', seed: 6 });
    const data = classification(6, 256, [8], 3);
    const lossFn = () => softmaxCrossEntropy(data.ys, m.apply(data.xs));
    const auto = hessianVectorProduct(lossFn, m, randomVector(m, 2), { eps: 1e-2 });
    expect(auto.mode).toBe('exact');
    expect(auto.modeReason).toMatch(/inconclusive/);
    m.dispose();
    data.xs.dispose();
    data.ys.dispose();
  });

  it('uses finite differences when the engine fails the self-check, and says which operation', () => {
    const original = tf.getGradient('Tanh');
    // tfjs 4.22's own tanh gradient: it reads the saved output, which is detached from the graph.
    tf.registerGradient({
      kernelName: 'Tanh',
      outputsToSave: [true],
      gradFunc: (dy, saved) => ({
        x: () => tf.mul(dy as tf.Tensor, tf.sub(1, tf.square(saved[0] as tf.Tensor))),
      }),
    });
    try {
      const report = checkSecondOrderGradients();
      expect(report.exactTrusted).toBe(false);
      expect(report.probes.find((p) => p.name === 'tanh')?.ok).toBe(false);
      const m = mlp({ inputs: 3, hidden: 4, outputs: 2, activation: 'tanh', seed: 1 });
      const data = classification(1, 4, [3], 2);
      const r = hessianVectorProduct(
        () => softmaxCrossEntropy(data.ys, m.apply(data.xs)),
        m,
        randomVector(m, 1),
      );
      expect(r.mode).toBe('finite-difference');
      expect(r.modeReason).toMatch(/tanh/);
      m.dispose();
      data.xs.dispose();
      data.ys.dispose();
    } finally {
      if (original) tf.registerGradient(original);
    }
    expect(checkSecondOrderGradients().exactTrusted).toBe(true);
  });

  it("'exact' fails with UnsupportedError when an operation has no second derivative", () => {
    const w = variableOf([1, 5, 2, 3, 4, 0, 6, 1, 2, 2, 7, 1, 0, 3, 1, 2], [1, 4, 4, 1], 'pool-w');
    const params: Parameter[] = [{ name: 'w', role: 'kernel', variable: w }];
    const lossFn = () =>
      tf.tidy(() => tf.sum(tf.square(tf.maxPool(w as tf.Tensor4D, 2, 2, 'valid'))) as tf.Scalar);
    const before = tf.memory().numTensors;
    expect(() => hessianVectorProduct(lossFn, params, new Array(16).fill(1), { mode: 'exact' })).toThrow(
      /hessianVectorProduct: exact Hessian-vector products failed/,
    );
    const auto = hessianVectorProduct(lossFn, params, new Array(16).fill(1));
    expect(auto.mode).toBe('finite-difference');
    expect(auto.modeReason).toMatch(/double backpropagation failed/);
    // Finite differences: L = Σ max², so H v = 2 v on the four maxima, 0 elsewhere.
    const got = flat(auto.product);
    const maxima = new Set([1, 6, 10, 13]);
    got.forEach((x, i) => {
      expect(x).toBeCloseTo(maxima.has(i) ? 2 : 0, 2);
    });
    expect(tf.memory().numTensors).toBe(before);
    w.dispose();
  });
});

describe('a loss that throws inside a gradient', () => {
  it('leaves no tensors behind and the parameters bit-identical', () => {
    const m = mlp({ inputs: 3, hidden: 4, outputs: 2, activation: 'tanh', seed: 3 });
    const data = classification(2, 4, [3], 2);
    const before = tf.memory().numTensors;
    const snapshot = bits(m);
    for (const mode of ['exact', 'finite-difference'] as const) {
      let calls = 0;
      const lossFn = () => {
        calls++;
        const l = softmaxCrossEntropy(data.ys, m.apply(data.xs));
        if (calls === (mode === 'exact' ? 1 : 2)) {
          tf.tanh(tf.mul(l, 2)); // ops taped before the failure
          throw new Error('boom');
        }
        return l;
      };
      expect(() => hessianVectorProduct(lossFn, m, randomVector(m, 1), { mode })).toThrow(/^boom$/);
      expect(tf.memory().numTensors).toBe(before);
      expect(bits(m)).toEqual(snapshot);
    }
    m.dispose();
    data.xs.dispose();
    data.ys.dispose();
  });
});

describe('bad input', () => {
  it('rejects a vector whose shape does not match, a non-finite vector and a bad mode', () => {
    const m = mlp({ inputs: 2, hidden: 3, outputs: 2, activation: 'tanh', seed: 1 });
    const data = classification(1, 4, [2], 2);
    const lossFn = () => meanSquaredError(data.ys, m.apply(data.xs));
    const before = tf.memory().numTensors;
    expect(() => hessianVectorProduct(lossFn, m, [1, 2, 3])).toThrow(
      /hessianVectorProduct: v must have 17 values.*got a flat array of 3/,
    );
    const parts = m
      .parameters()
      .map((p) => ({ shape: [...p.variable.shape, 1], values: new Array(p.variable.size).fill(0) }));
    expect(() => hessianVectorProduct(lossFn, m, parts)).toThrow(
      /hessianVectorProduct: v\[0\] must match parameter "l1.kernel" of shape \[2, 3\], got shape \[2, 3, 1\]/,
    );
    const bad = new Array(17).fill(0);
    bad[7] = Number.NaN;
    expect(() => hessianVectorProduct(lossFn, m, bad)).toThrow(
      /v must be finite, got NaN at index 1 of parameter "l1.bias"/,
    );
    expect(() => hessianVectorProduct(lossFn, m, new Array(17).fill(0), { mode: 'fast' as never })).toThrow(
      GflowError,
    );
    expect(() => hessianVectorProduct(lossFn, [], [])).toThrow(/params must hold at least one Parameter/);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
    data.xs.dispose();
    data.ys.dispose();
  });
});
