import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { gradCheck, seededNormal } from '../test-utils/gradcheck.js';
import { gru } from './gru.js';
import { kroneckerRNN } from './kronecker-rnn.js';
import { lstm } from './lstm.js';
import { unitaryRNN } from './unitary-rnn.js';
import { vanillaRNN } from './vanilla-rnn.js';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

describe('recurrent cells against independent implementations', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('vanillaRNN equals tf.layers.simpleRNN with the same weights', () => {
    const before = tf.memory().numTensors;
    const ours = vanillaRNN({ inputSize: 3, hiddenSize: 4, returnSequences: true, seed: 1 });
    const ref = tf.layers.simpleRNN({ units: 4, returnSequences: true, activation: 'tanh' });
    const x = seededNormal([2, 5, 3], 2);
    tf.tidy(() => {
      ref.apply(x); // build
      const [k, b, r] = ours.parameters().map((p) => p.variable);
      ref.setWeights([k as tf.Tensor, r as tf.Tensor, b as tf.Tensor]);
      expect(maxAbsDiff(ours.apply(x).dataSync(), (ref.apply(x) as tf.Tensor).dataSync())).toBeLessThan(1e-5);
    });
    x.dispose();
    ref.dispose();
    ours.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('lstm equals tf.layers.lstm (sigmoid gates, gate order i, f, g, o) with the same weights', () => {
    const before = tf.memory().numTensors;
    const ours = lstm({ inputSize: 3, hiddenSize: 4, returnSequences: true, chrono: 20, seed: 3 });
    const ref = tf.layers.lstm({ units: 4, returnSequences: true, recurrentActivation: 'sigmoid' });
    const x = seededNormal([2, 6, 3], 4);
    tf.tidy(() => {
      ref.apply(x);
      const [k, b, r] = ours.parameters().map((p) => p.variable);
      ref.setWeights([k as tf.Tensor, r as tf.Tensor, b as tf.Tensor]);
      expect(maxAbsDiff(ours.apply(x).dataSync(), (ref.apply(x) as tf.Tensor).dataSync())).toBeLessThan(1e-5);
    });
    x.dispose();
    ref.dispose();
    ours.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gru equals a plain-JS loop of the PyTorch-form equations', () => {
    const before = tf.memory().numTensors;
    const F = 2;
    const H = 3;
    const model = gru({ inputSize: F, hiddenSize: H, returnSequences: true, chrono: 8, seed: 7 });
    const [k, b, r, rb] = model.parameters().map((p) => p.variable.arraySync()) as [
      number[][],
      number[],
      number[][],
      number[],
    ];
    const x = seededNormal([1, 4, F], 8);
    const xs = (x.arraySync() as number[][][])[0] as number[][];
    const sig = (v: number): number => 1 / (1 + Math.exp(-v));
    let h = [0, 0, 0];
    const want: number[] = [];
    for (const xt of xs) {
      // gate g ∈ {r: 0, z: 1, n: 2}, unit j: column g·H + j
      const pre = (g: number, j: number): [number, number] => {
        let u = b[g * H + j] as number;
        for (let i = 0; i < F; i++) u += (xt[i] as number) * (k[i]?.[g * H + j] as number);
        let w = rb[g * H + j] as number;
        for (let i = 0; i < H; i++) w += (h[i] as number) * (r[i]?.[g * H + j] as number);
        return [u, w];
      };
      h = h.map((hj, j) => {
        const [ur, wr] = pre(0, j);
        const [uz, wz] = pre(1, j);
        const [un, wn] = pre(2, j);
        const rr = sig(ur + wr);
        const z = sig(uz + wz);
        const n = Math.tanh(un + rr * wn);
        return (1 - z) * n + z * hj;
      });
      want.push(...h);
    }
    tf.tidy(() => {
      expect(maxAbsDiff(model.apply(x).dataSync(), want)).toBeLessThan(1e-5);
    });
    x.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('unitaryRNN composes W = D₃R₂F⁻¹D₂ΠR₁FD₁ (checked against complex arithmetic in plain JS)', () => {
    const N = 4;
    const model = unitaryRNN({ inputSize: 1, hiddenSize: 2 * N, seed: 5 });
    const ph = model
      .parameters()
      .find((p) => p.name === 'layers.0.recurrent.phases')
      ?.variable.arraySync() as number[][];
    const rf = model
      .parameters()
      .find((p) => p.name === 'layers.0.recurrent.reflections')
      ?.variable.arraySync() as number[][];
    const W = model.recurrentMatrix();
    const w = W.arraySync();
    type Cx = [number, number][];
    const diag = (z: Cx, th: number[]): Cx =>
      z.map(([a, b], k) => [
        a * Math.cos(th[k] as number) - b * Math.sin(th[k] as number),
        a * Math.sin(th[k] as number) + b * Math.cos(th[k] as number),
      ]);
    const dft = (z: Cx, sign: number): Cx =>
      z.map((_, j) => {
        let re = 0;
        let im = 0;
        z.forEach(([a, b], k) => {
          const ang = (sign * 2 * Math.PI * j * k) / N;
          re += a * Math.cos(ang) - b * Math.sin(ang);
          im += a * Math.sin(ang) + b * Math.cos(ang);
        });
        return [re / Math.sqrt(N), im / Math.sqrt(N)];
      });
    const reflect = (z: Cx, v: number[]): Cx => {
      const vr = v.slice(0, N);
      const vi = v.slice(N);
      let n2 = 0;
      let ar = 0;
      let ai = 0;
      for (let k = 0; k < N; k++) {
        n2 += (vr[k] as number) ** 2 + (vi[k] as number) ** 2;
        const [a, b] = z[k] as [number, number];
        ar += (vr[k] as number) * a + (vi[k] as number) * b; // conj(v)·z
        ai += (vr[k] as number) * b - (vi[k] as number) * a;
      }
      return z.map(([a, b], k) => [
        a - (2 / n2) * ((vr[k] as number) * ar - (vi[k] as number) * ai),
        b - (2 / n2) * ((vr[k] as number) * ai + (vi[k] as number) * ar),
      ]);
    };
    // Π is a seeded internal permutation: W must equal the plain-JS composition for exactly one of
    // the N! permutations, checked on every real and imaginary basis vector (rows of W).
    const left = (z: Cx): Cx =>
      diag(reflect(dft(diag(z, ph[1] as number[]), +1), rf[1] as number[]), ph[2] as number[]);
    const right = (z: Cx): Cx => reflect(dft(diag(z, ph[0] as number[]), -1), rf[0] as number[]);
    const perms = permutations(N);
    const rowOf = (z: Cx): number[] => [...z.map((c) => c[0]), ...z.map((c) => c[1])];
    const basis = (i: number): Cx =>
      Array.from(
        { length: N },
        (_, k) => (i % N === k ? (i < N ? [1, 0] : [0, 1]) : [0, 0]) as [number, number],
      );
    const matches = perms.filter((p) =>
      Array.from({ length: 2 * N }, (_, i) => i).every((i) => {
        const r = right(basis(i));
        const permuted = p.map((src) => r[src] as [number, number]);
        return maxAbsDiff(rowOf(left(permuted)), w[i] as number[]) < 1e-5;
      }),
    );
    expect(matches.length).toBe(1);
    W.dispose();
    model.dispose();
  });

  it('kroneckerRNN: W = A ⊗ B, σ(W) = σ(A)·σ(B), and the orthogonality penalty is (p + q)(g² − 1)² at init', () => {
    const before = tf.memory().numTensors;
    const g = 0.8;
    const model = kroneckerRNN({ inputSize: 2, hiddenSize: 6, factors: [2, 3], factorGain: g, seed: 6 });
    tf.tidy(() => {
      const [a, b] = model.factors();
      const A = a.arraySync();
      const B = b.arraySync();
      const W = model.recurrentMatrix().arraySync();
      for (let i = 0; i < 2; i++)
        for (let k = 0; k < 3; k++)
          for (let j = 0; j < 2; j++)
            for (let l = 0; l < 3; l++)
              expect(
                Math.abs(
                  (W[i * 3 + k]?.[j * 3 + l] as number) - (A[i]?.[j] as number) * (B[k]?.[l] as number),
                ),
              ).toBeLessThan(1e-7);
      // A = gQ₁, B = gQ₂ ⇒ AᵀA − I = (g² − 1)I: penalty = 2(g²−1)² + 3(g²−1)²; W = g²·(orthogonal)
      expect(model.orthogonalityPenalty().dataSync()[0]).toBeCloseTo(5 * (g * g - 1) ** 2, 5);
      const Wt = model.recurrentMatrix();
      const wtw = tf.matMul(Wt, Wt, true, false);
      expect(maxAbsDiff(wtw.dataSync(), tf.mul(tf.eye(6), g ** 4).dataSync())).toBeLessThan(1e-5);
    });
    const ab = model.parameters().filter((p) => p.role === 'recurrent');
    const { mismatches } = gradCheck(() => model.orthogonalityPenalty(), ab, { coords: 4 });
    expect(mismatches).toEqual([]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

function permutations(n: number): number[][] {
  if (n === 1) return [[0]];
  const out: number[][] = [];
  for (const p of permutations(n - 1))
    for (let i = 0; i <= p.length; i++) out.push([...p.slice(0, i), n - 1, ...p.slice(i)]);
  return out;
}
