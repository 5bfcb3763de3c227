// The Node entry's host (index.ts installs it); these tests import modules below the entry.
import './internal/node-host.js';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './init-backend.js';
import {
  conv2dBackpropFilter as tfBackpropFilter,
  conv2dBackpropInput as tfBackpropInput,
  depthwiseBackpropFilter as tfDwBackpropFilter,
  depthwiseBackpropInput as tfDwBackpropInput,
} from './internal/kernel-ops.js';
import { meanSquaredError } from './mean-squared-error.js';
import { gradientFills } from './register-gradients.js';
import { sigmoidCrossEntropy } from './sigmoid-cross-entropy.js';
import { softmaxCrossEntropy } from './softmax-cross-entropy.js';
import { checkDerivatives, noLeak } from './test-utils/derivatives.js';
import { f32, randInt, randn } from './test-utils/random.js';
import * as ref from './test-utils/reference.js';

// Every case: f(w) built from tfjs ops, and the same f in float64 plain JS. The test compares
// tfjs's gradient and Hessian-vector product (double backprop, float32) with float64 central
// differences of the JS version. tfjs 4.22's own configs fail these by 0.4–1.4 (tanh, sigmoid,
// exp, softmax, cross-entropies) or throw (elu, selu, leakyRelu, prelu, maximum, conv filter).
const GRAD_TOL = 2e-3;
const HVP_TOL = 2e-3;

interface Case {
  readonly name: string;
  readonly n: number;
  readonly f: (w: tf.Tensor1D) => tf.Scalar;
  readonly ref: (w: Float64Array) => number;
  readonly scale?: number;
}

const M = 12;
const N = 5;
const X = randn(M * N, 11, 0.6);
const C = randn(M, 12);

/** f(w) = Σ cᵢ φ(Xw)ᵢ² for an elementwise φ. */
function elementwise(name: string, phi: (z: tf.Tensor) => tf.Tensor, phiRef: (z: number) => number): Case {
  return {
    name,
    n: N,
    f: (w) => {
      const z = tf.reshape(tf.matMul(tf.tensor2d(f32(X), [M, N]), tf.reshape(w, [N, 1])), [M]);
      return tf.sum(tf.mul(tf.tensor1d(f32(C)), tf.square(phi(z)))) as tf.Scalar;
    },
    ref: (w) => {
      const z = ref.matvec(X, M, N, w);
      let s = 0;
      for (let i = 0; i < M; i++) s += C[i]! * phiRef(z[i]!) ** 2;
      return s;
    },
  };
}

/** z = Xw reshaped to [3, 4] (rows of logits). */
function logitsOf(w: tf.Tensor1D): tf.Tensor2D {
  return tf.reshape(tf.matMul(tf.tensor2d(f32(X), [M, N]), tf.reshape(w, [N, 1])), [3, 4]);
}
function logitsRef(w: Float64Array): number[][] {
  const z = ref.matvec(X, M, N, w);
  return [0, 1, 2].map((r) => Array.from(z.subarray(r * 4, r * 4 + 4)));
}
const softmaxRef = (row: number[]): number[] => {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
const LABELS = [0, 1, 2].map((r) => softmaxRef(Array.from(randn(4, 40 + r, 2))));
const BIN_LABELS = Array.from(randn(12, 41)).map((v) => 1 / (1 + Math.exp(-v)));

const SELU_L = 1.0507009873554805;
const SELU_A = 1.6732632423543772;
const sig = (z: number): number => 1 / (1 + Math.exp(-z));
const elu = (z: number): number => (z > 0 ? z : Math.exp(z) - 1);

const elementwiseCases: Case[] = [
  elementwise('tanh', tf.tanh, Math.tanh),
  elementwise('sigmoid', tf.sigmoid, sig),
  elementwise('exp', tf.exp, Math.exp),
  elementwise('elu', tf.elu, elu),
  elementwise('selu', tf.selu, (z) => SELU_L * (z > 0 ? z : SELU_A * (Math.exp(z) - 1))),
  elementwise(
    'leakyRelu(0.2)',
    (z) => tf.leakyRelu(z, 0.2),
    (z) => (z > 0 ? z : 0.2 * z),
  ),
  elementwise('softplus', tf.softplus, (z) => Math.log1p(Math.exp(z))),
  elementwise(
    'sqrt(z² + 0.5)',
    (z) => tf.sqrt(tf.add(tf.square(z), 0.5)),
    (z) => Math.sqrt(z * z + 0.5),
  ),
  elementwise(
    'rsqrt(z² + 0.5)',
    (z) => tf.rsqrt(tf.add(tf.square(z), 0.5)),
    (z) => 1 / Math.sqrt(z * z + 0.5),
  ),
  elementwise('erf', tf.erf, ref.erf),
  elementwise('atan', tf.atan, Math.atan),
  elementwise(
    'pow(z² + 0.5, 1.5)',
    (z) => tf.pow(tf.add(tf.square(z), 0.5), 1.5),
    (z) => (z * z + 0.5) ** 1.5,
  ),
  elementwise(
    'elu(tanh(z)) ∘ sigmoid',
    (z) => tf.sigmoid(tf.elu(tf.tanh(z))),
    (z) => sig(elu(Math.tanh(z))),
  ),
];

const Y = randn(M * N, 13, 0.6);
const otherCases: Case[] = [
  {
    name: 'prelu (gradient in x and alpha)',
    n: N + 4,
    f: (w) => {
      const z = tf.reshape(
        tf.matMul(tf.tensor2d(f32(X), [M, N]), tf.reshape(tf.slice(w, 0, N), [N, 1])),
        [3, 4],
      );
      return tf.sum(
        tf.mul(tf.tensor1d(f32(C)).reshape([3, 4]), tf.square(tf.prelu(z, tf.slice(w, N, 4)))),
      ) as tf.Scalar;
    },
    ref: (w) => {
      const z = ref.matvec(X, M, N, w.subarray(0, N));
      let s = 0;
      for (let i = 0; i < M; i++) {
        const a = w[N + (i % 4)]!;
        s += C[i]! * (z[i]! > 0 ? z[i]! : a * z[i]!) ** 2;
      }
      return s;
    },
  },
  {
    name: 'maximum and minimum (Greater/Less/LessEqual masks)',
    n: N,
    f: (w) => {
      const wc = tf.reshape(w, [N, 1]);
      const a = tf.matMul(tf.tensor2d(f32(X), [M, N]), wc);
      const b = tf.matMul(tf.tensor2d(f32(Y), [M, N]), wc);
      const mx = tf.maximum(tf.tanh(a), b);
      const mn = tf.minimum(a, tf.sigmoid(b));
      return tf.sum(tf.add(tf.square(mx), tf.mul(mn, mx))) as tf.Scalar;
    },
    ref: (w) => {
      const a = ref.matvec(X, M, N, w);
      const b = ref.matvec(Y, M, N, w);
      let s = 0;
      for (let i = 0; i < M; i++) {
        const mx = Math.max(Math.tanh(a[i]!), b[i]!);
        const mn = Math.min(a[i]!, sig(b[i]!));
        s += mx * mx + mn * mx;
      }
      return s;
    },
  },
  {
    name: 'masks from logicalAnd/Or/Not, notEqual, equal, less, lessEqual',
    n: N,
    f: (w) => {
      const z = tf.reshape(tf.matMul(tf.tensor2d(f32(X), [M, N]), tf.reshape(w, [N, 1])), [M]);
      const m1 = tf.logicalAnd(tf.greater(z, -0.5), tf.lessEqual(z, 0.5));
      const m2 = tf.logicalOr(m1, tf.less(z, -1.5));
      const m3 = tf.logicalAnd(tf.logicalAnd(m2, tf.notEqual(z, 7)), tf.logicalNot(tf.equal(z, 9)));
      return tf.sum(
        tf.mul(tf.tensor1d(f32(C)), tf.where(m3, tf.mul(z, tf.square(z)), tf.sin(z))),
      ) as tf.Scalar;
    },
    ref: (w) => {
      const z = ref.matvec(X, M, N, w);
      let s = 0;
      for (let i = 0; i < M; i++) {
        const v = z[i]!;
        const m = ((v > -0.5 && v <= 0.5) || v < -1.5) && v !== 7 && v !== 9;
        s += C[i]! * (m ? v ** 3 : Math.sin(v));
      }
      return s;
    },
  },
  {
    name: 'softmax',
    n: N,
    f: (w) =>
      tf.sum(tf.mul(tf.tensor1d(f32(C)).reshape([3, 4]), tf.square(tf.softmax(logitsOf(w))))) as tf.Scalar,
    ref: (w) =>
      logitsRef(w)
        .flatMap(softmaxRef)
        .reduce((s, p, i) => s + C[i]! * p * p, 0),
  },
  {
    name: 'max and logSumExp (Max with an Equal mask)',
    n: N,
    f: (w) => {
      const z = logitsOf(w);
      return tf.add(
        tf.sum(tf.square(tf.max(z, 1))),
        tf.sum(tf.mul(tf.logSumExp(z, 1), tf.tensor1d([1, -2, 0.5]))),
      ) as tf.Scalar;
    },
    ref: (w) =>
      logitsRef(w).reduce((s, row, r) => {
        const m = Math.max(...row);
        const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
        return s + m * m + [1, -2, 0.5][r]! * lse;
      }, 0),
  },
  {
    name: 'softmaxCrossEntropy (gflow loss)',
    n: N,
    f: (w) => softmaxCrossEntropy(tf.tensor2d(LABELS), logitsOf(w)),
    ref: (w) =>
      logitsRef(w).reduce((s, row, r) => {
        const p = softmaxRef(row);
        return s - LABELS[r]!.reduce((a, y, k) => a + y * Math.log(p[k]!), 0) / 3;
      }, 0),
  },
  {
    name: 'sigmoidCrossEntropy (gflow loss)',
    n: N,
    f: (w) => sigmoidCrossEntropy(tf.tensor2d(BIN_LABELS, [3, 4]), logitsOf(w)),
    ref: (w) =>
      logitsRef(w)
        .flat()
        .reduce((s, z, i) => {
          const y = BIN_LABELS[i]!;
          return s - (y * Math.log(sig(z)) + (1 - y) * Math.log(1 - sig(z))) / 12;
        }, 0),
  },
  {
    name: 'meanSquaredError of tanh (gflow loss)',
    n: N,
    f: (w) => meanSquaredError(tf.tensor2d(LABELS), tf.tanh(logitsOf(w))),
    ref: (w) =>
      logitsRef(w)
        .flat()
        .reduce((s, z, i) => s + (Math.tanh(z) - LABELS[Math.floor(i / 4)]![i % 4]!) ** 2 / 12, 0),
  },
];

type Geometry = ref.ConvGeometry;
const geometries: Geometry[] = [];
for (const pad of ['same', 'valid'] as const)
  for (const [stride, dilation] of [
    [1, 1],
    [2, 1],
    [1, 2],
  ] as const)
    geometries.push({ stride, dilation, pad });

/** Splits w into tensors of the given shapes. */
function split(w: tf.Tensor1D, shapes: readonly (readonly number[])[]): tf.Tensor[] {
  let at = 0;
  return shapes.map((s) => {
    const size = s.reduce((a, b) => a * b, 1);
    const t = tf.reshape(tf.slice(w, at, size), [...s]);
    at += size;
    return t;
  });
}
function splitRef(w: Float64Array, shapes: readonly (readonly number[])[]): Float64Array[] {
  let at = 0;
  return shapes.map((s) => {
    const size = s.reduce((a, b) => a * b, 1);
    const t = w.subarray(at, at + size);
    at += size;
    return t;
  });
}
const weighted = (y: ArrayLike<number>, seed: number): number => {
  const c = randn(y.length, seed);
  let s = 0;
  for (let i = 0; i < y.length; i++) s += c[i]! * y[i]! * y[i]!;
  return s;
};
const weightedTf = (y: tf.Tensor, seed: number): tf.Scalar =>
  tf.sum(tf.mul(tf.tensor(f32(randn(y.size, seed)), y.shape), tf.square(y))) as tf.Scalar;

function convCases(): Case[] {
  const cases: Case[] = [];
  let seed = 100;
  for (const g of geometries) {
    for (const batch of [1, 3]) {
      seed += 1;
      const h = randInt(5, 7, seed);
      const wd = randInt(5, 7, seed + 50);
      const ci = randInt(1, 3, seed + 70);
      const co = randInt(1, 3, seed + 90);
      const k = g.dilation === 2 ? 2 : 3;
      const xs: ref.Shape4 = [batch, h, wd, ci];
      const ws: ref.Shape4 = [k, k, ci, co];
      const tag = `s${g.stride} d${g.dilation} ${g.pad} x[${xs}] w[${ws}]`;
      const attrs = { strides: g.stride, pad: g.pad, dataFormat: 'NHWC' as const };
      const r = ref.resolve(h, wd, k, k, g);
      const ys: ref.Shape4 = [batch, r.outH, r.outW, co];
      const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
      const cs = seed * 7;
      cases.push({
        name: `conv2d ${tag}`,
        n: size(xs) + size(ws),
        f: (w) => {
          const [x, f] = split(w, [xs, ws]) as [tf.Tensor4D, tf.Tensor4D];
          return weightedTf(tf.conv2d(x, f, g.stride, g.pad, 'NHWC', g.dilation), cs);
        },
        ref: (w) => {
          const [x, f] = splitRef(w, [xs, ws]);
          return weighted(ref.conv2d(x!, xs, f!, ws, g).y, cs);
        },
      });
      if (g.dilation === 1) {
        cases.push({
          name: `Conv2DBackpropInput ${tag}`,
          n: size(ys) + size(ws),
          f: (w) => {
            const [dy, f] = split(w, [ys, ws]) as [tf.Tensor4D, tf.Tensor4D];
            return weightedTf(tfBackpropInput(xs, dy, f, attrs), cs);
          },
          ref: (w) => {
            const [dy, f] = splitRef(w, [ys, ws]);
            return weighted(ref.conv2dBackpropInput(xs, dy!, f!, ws, g), cs);
          },
        });
        cases.push({
          name: `Conv2DBackpropFilter ${tag}`,
          n: size(xs) + size(ys),
          f: (w) => {
            const [x, dy] = split(w, [xs, ys]) as [tf.Tensor4D, tf.Tensor4D];
            return weightedTf(tfBackpropFilter(x, dy, ws, attrs), cs);
          },
          ref: (w) => {
            const [x, dy] = splitRef(w, [xs, ys]);
            return weighted(ref.conv2dBackpropFilter(x!, xs, dy!, ws, g), cs);
          },
        });
      }
      if (batch === 1) {
        const dws: ref.Shape4 = [k, k, ci, 2];
        const dys: ref.Shape4 = [batch, r.outH, r.outW, ci * 2];
        const dwAttrs = { strides: g.stride, pad: g.pad, dilations: 1 };
        cases.push({
          name: `depthwiseConv2d ${tag} multiplier 2`,
          n: size(xs) + size(dws),
          f: (w) => {
            const [x, f] = split(w, [xs, dws]) as [tf.Tensor4D, tf.Tensor4D];
            return weightedTf(tf.depthwiseConv2d(x, f, g.stride, g.pad, 'NHWC', g.dilation), cs);
          },
          ref: (w) => {
            const [x, f] = splitRef(w, [xs, dws]);
            return weighted(ref.depthwiseConv2d(x!, xs, f!, dws, g).y, cs);
          },
        });
        if (g.dilation === 1) {
          cases.push({
            name: `DepthwiseConv2dNativeBackpropInput ${tag}`,
            n: size(dys) + size(dws),
            f: (w) => {
              const [dy, f] = split(w, [dys, dws]) as [tf.Tensor4D, tf.Tensor4D];
              return weightedTf(tfDwBackpropInput(xs, dy, f, dwAttrs), cs);
            },
            ref: (w) => {
              const [dy, f] = splitRef(w, [dys, dws]);
              return weighted(ref.conv2dBackpropInput(xs, dy!, f!, dws, g, true), cs);
            },
          });
          cases.push({
            name: `DepthwiseConv2dNativeBackpropFilter ${tag}`,
            n: size(xs) + size(dys),
            f: (w) => {
              const [x, dy] = split(w, [xs, dys]) as [tf.Tensor4D, tf.Tensor4D];
              return weightedTf(tfDwBackpropFilter(x, dy, dws, dwAttrs), cs);
            },
            ref: (w) => {
              const [x, dy] = splitRef(w, [xs, dys]);
              return weighted(ref.conv2dBackpropFilter(x!, xs, dy!, dws, g, true), cs);
            },
          });
        }
      }
    }
  }
  return cases;
}

// conv → batch norm (batch statistics) → tanh, and the fused conv2d / matMul with bias.
const bnXs: ref.Shape4 = [2, 4, 4, 2];
const bnWs: ref.Shape4 = [3, 3, 2, 3];
const layerCases: Case[] = [
  {
    name: 'conv2d → batchNorm (moments) → tanh → mean → softmaxCrossEntropy',
    n: 2 * 4 * 4 * 2 + 3 * 3 * 2 * 3 + 6,
    f: (w) => {
      const [x, f, gamma, beta] = split(w, [bnXs, bnWs, [3], [3]]) as [
        tf.Tensor4D,
        tf.Tensor4D,
        tf.Tensor1D,
        tf.Tensor1D,
      ];
      const y = tf.conv2d(x, f, 1, 'same');
      const { mean, variance } = tf.moments(y, [0, 1, 2]);
      const h = tf.tanh(tf.batchNorm(y, mean, variance, beta, gamma, 1e-3));
      const logits = tf.mean(h, [1, 2]);
      return softmaxCrossEntropy(tf.tensor2d([LABELS[0]!.slice(0, 3), LABELS[1]!.slice(0, 3)]), logits);
    },
    ref: (w) => {
      const [x, f, gamma, beta] = splitRef(w, [bnXs, bnWs, [3], [3]]);
      const y = ref.conv2d(x!, bnXs, f!, bnWs, { stride: 1, dilation: 1, pad: 'same' }).y;
      const h = ref.batchNorm(y, 3, gamma!, beta!, 1e-3).map(Math.tanh);
      let loss = 0;
      for (let b = 0; b < 2; b++) {
        const logits = [0, 1, 2].map((c) => {
          let s = 0;
          for (let p = 0; p < 16; p++) s += h[(b * 16 + p) * 3 + c]!;
          return s / 16;
        });
        const p = softmaxRef(logits);
        const lab = LABELS[b]!.slice(0, 3);
        loss -= lab.reduce((a, yk, k) => a + yk * Math.log(p[k]!), 0) / 2;
      }
      return loss;
    },
  },
  {
    name: 'fused conv2d with bias (linear) and fused matMul with bias',
    n: 1 * 5 * 5 * 2 + 3 * 3 * 2 * 2 + 2 + 2,
    f: (w) => {
      const [x, f, bias, b2] = split(w, [[1, 5, 5, 2], [3, 3, 2, 2], [2], [2]]) as [
        tf.Tensor4D,
        tf.Tensor4D,
        tf.Tensor1D,
        tf.Tensor1D,
      ];
      const y = tf.fused.conv2d({ x, filter: f, strides: 2, pad: 'same', bias });
      const flat = tf.reshape(y, [9, 2]) as tf.Tensor2D;
      const z = tf.fused.matMul({ a: flat, b: tf.reshape(f, [9, 4]).slice([0, 0], [2, 2]), bias: b2 });
      return weightedTf(tf.sigmoid(z), 5);
    },
    ref: (w) => {
      const [x, f, bias, b2] = splitRef(w, [[1, 5, 5, 2], [3, 3, 2, 2], [2], [2]]);
      const y = ref.conv2d(x!, [1, 5, 5, 2], f!, [3, 3, 2, 2], { stride: 2, dilation: 1, pad: 'same' }).y;
      for (let i = 0; i < y.length; i++) y[i] = y[i]! + bias![i % 2]!;
      // b = first 2×2 block of f reshaped to [9, 4]: rows 0..1, cols 0..1.
      const bm = [f![0]!, f![1]!, f![4]!, f![5]!];
      const z = new Float64Array(18);
      for (let r = 0; r < 9; r++)
        for (let c = 0; c < 2; c++) z[r * 2 + c] = y[r * 2]! * bm[c]! + y[r * 2 + 1]! * bm[2 + c]! + b2![c]!;
      return weighted(z.map(sig), 5);
    },
  },
];

// batchNorm with mean, variance, scale and offset as free parameters (the FusedBatchNorm gradient).
const bnCase: Case = {
  name: 'batchNorm with free mean, variance (v² + 0.5), scale and offset',
  n: 12 + 3 * 4,
  f: (w) => {
    const [x, m, v, g, b] = split(w, [[4, 3], [3], [3], [3], [3]]) as tf.Tensor1D[];
    const y = tf.batchNorm(x!, m!, tf.add(tf.square(v!), 0.5), b!, g!, 1e-3);
    return weightedTf(tf.tanh(y), 77);
  },
  ref: (w) => {
    const [x, m, v, g, b] = splitRef(w, [[4, 3], [3], [3], [3], [3]]);
    const y = new Float64Array(12);
    for (let i = 0; i < 12; i++) {
      const k = i % 3;
      y[i] = Math.tanh(((x![i]! - m![k]!) / Math.sqrt(v![k]! ** 2 + 0.5 + 1e-3)) * g![k]! + b![k]!);
    }
    return weighted(y, 77);
  },
};

const allCases: Case[] = [...elementwiseCases, ...otherCases, ...convCases(), ...layerCases, bnCase];

describe('gradient registrations', () => {
  it('lists every registered kernel as a grad: fill', () => {
    for (const k of [
      'Tanh',
      'Sigmoid',
      'Exp',
      'Softmax',
      'Elu',
      'EluGrad',
      'Conv2DBackpropFilter',
      'Greater',
    ]) {
      expect(gradientFills).toContain(`grad:${k}`);
    }
    expect(tf.getGradient('Conv2DBackpropFilter')).toBeDefined();
  });

  it("the check catches tfjs 4.22's saved-output Tanh gradient (so these tests can fail)", async () => {
    await initBackend({ prefer: 'cpu' });
    const ours = tf.getGradient('Tanh')!;
    // tfjs 4.22's config, verbatim in substance: (1 − y²)·dy with y the saved output.
    tf.registerGradient({
      kernelName: 'Tanh',
      outputsToSave: [true],
      gradFunc: (dy, saved) => ({ x: () => tf.mul(tf.sub(1, tf.square(saved[0]!)), dy as tf.Tensor) }),
    });
    try {
      const c = elementwiseCases[0]!;
      const check = checkDerivatives(c.f, c.ref, randn(c.n, 1, 0.8), randn(c.n, 2));
      expect(check.gradErr).toBeLessThan(GRAD_TOL);
      expect(check.hvpErr).toBeGreaterThan(0.1);
    } finally {
      tf.registerGradient(ours);
    }
  });
});

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`first and second derivatives on ${backend} against float64 finite differences`, () => {
    beforeAll(async () => {
      await initBackend({ prefer: backend });
    });
    it.each(allCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
      const w0 = randn(c.n, c.n * 31 + 7, c.scale ?? 0.8);
      const v0 = randn(c.n, c.n * 17 + 3);
      let check: ReturnType<typeof checkDerivatives> | undefined;
      noLeak(() => {
        check = checkDerivatives(c.f, c.ref, w0, v0);
      });
      expect(tf.getBackend()).toBe(backend);
      expect(check!.hvpNorm).toBeGreaterThan(1e-3);
      expect(check!.gradErr).toBeLessThan(GRAD_TOL);
      expect(check!.hvpErr).toBeLessThan(HVP_TOL);
    });
  });
}
