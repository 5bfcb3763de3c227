import { initBackend } from '@gflow/backend';
import { InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { prefetchParameters } from '../prefetch-parameters.js';
import { orthogonalRNN } from '../recurrent/orthogonal-rnn.js';
import { gradCheck, seededNormal } from '../test-utils/gradcheck.js';
import { cayleyMap, cayleyMapOfSkew } from './cayley-map.js';
import { matrixExp, matrixExpOfSkew } from './matrix-exp.js';

let before: number;
beforeAll(async () => {
  await initBackend();
});
beforeEach(() => {
  before = tf.memory().numTensors;
});
afterEach(() => {
  expect(tf.memory().numTensors).toBe(before);
});

const maxAbs = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

// The maps of the skew part A = P − Pᵀ formed on the host, against the public maps of A formed
// by tfjs ops (their gradient through the subtraction by tfjs autodiff).
describe('matrixExpOfSkew / cayleyMapOfSkew (the orthogonal RNN generator maps)', () => {
  const cases = [
    ['exp', matrixExpOfSkew, matrixExp],
    ['cayley', cayleyMapOfSkew, cayleyMap],
  ] as const;
  for (const [name, ofSkew, map] of cases) {
    it(`${name}: the map of P − Pᵀ and its gradient with respect to P, as the public map of tf.sub(P, Pᵀ)`, () => {
      const p = seededNormal([6, 6], 3, 0.4) as tf.Tensor2D;
      const c = seededNormal([6, 6], 4) as tf.Tensor2D;
      const viaTf = (q: tf.Tensor) => map(tf.sub(q, tf.transpose(q)) as tf.Tensor2D);
      const w = ofSkew(p);
      const wRef = tf.tidy(() => viaTf(p));
      expect(maxAbs(w, wRef)).toBeLessThan(1e-6);
      const g = tf.grad((q: tf.Tensor) => tf.sum(tf.mul(ofSkew(q as tf.Tensor2D), c)))(p);
      const gRef = tf.grad((q: tf.Tensor) => tf.sum(tf.mul(viaTf(q), c)))(p);
      expect(maxAbs(g, gRef)).toBeLessThan(1e-5);
      // ∂L/∂P is skew-symmetric (L depends on P only through P − Pᵀ).
      expect(tf.tidy(() => tf.max(tf.abs(tf.add(g, tf.transpose(g)))).dataSync()[0]!)).toBeLessThan(1e-6);
      tf.dispose([p, c, w, wRef, g, gRef]);
    });
  }

  it('the orthogonal RNN’s parameter gradients match finite differences', () => {
    for (const parametrization of ['exp', 'cayley'] as const) {
      const rnn = orthogonalRNN({ inputSize: 3, hiddenSize: 4, outputSize: 2, parametrization, seed: 2 });
      const x = seededNormal([5, 6, 3], 7, 0.5);
      const y = seededNormal([5, 2], 8);
      const loss = () => tf.tidy(() => tf.losses.meanSquaredError(y, rnn.apply(x)) as tf.Scalar);
      const skew = rnn.parameters().filter((q) => q.name.endsWith('recurrent.skew'));
      expect(skew).toHaveLength(1);
      const r = gradCheck(loss, skew, { coords: 6, seed: 1 });
      expect(r.mismatches).toEqual([]);
      tf.dispose([x, y]);
      rnn.dispose();
    }
  });
});

describe('prefetchParameters', () => {
  it('leaves the values and the outputs unchanged, and no tensor behind', async () => {
    const rnn = orthogonalRNN({ inputSize: 3, hiddenSize: 4, outputSize: 2, seed: 5 });
    const x = seededNormal([2, 3, 3], 1);
    const y0 = rnn.apply(x);
    const values = rnn.parameters().map((q) => Array.from(q.variable.dataSync()));
    await prefetchParameters(rnn);
    expect(rnn.parameters().map((q) => Array.from(q.variable.dataSync()))).toEqual(values);
    const y1 = rnn.apply(x);
    expect(Array.from(y1.dataSync())).toEqual(Array.from(y0.dataSync()));
    tf.dispose([x, y0, y1]);
    rnn.dispose();
  });

  it('refuses a module without parameters()', async () => {
    await expect(prefetchParameters({} as never)).rejects.toThrow(InvalidArgumentError);
    await expect(prefetchParameters(null as never)).rejects.toThrow(
      /prefetchParameters: module must have parameters\(\)/,
    );
  });
});
