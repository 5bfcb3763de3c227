import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { orthogonalRNN } from '../recurrent/orthogonal-rnn.js';
import { gradCheck, seededNormal } from '../test-utils/gradcheck.js';
import { cayleyMap } from './cayley-map.js';
import { householderProduct } from './householder-product.js';
import { matrixExp } from './matrix-exp.js';

/** max |WᵀW − I| */
function orthError(w: tf.Tensor2D): number {
  return tf.tidy(() => {
    const n = w.shape[0];
    return tf.max(tf.abs(tf.sub(tf.matMul(w, w, true, false), tf.eye(n)))).dataSync()[0] as number;
  });
}

function expectClose(t: tf.Tensor, want: number[][], tol: number): void {
  const got = t.arraySync() as number[][];
  for (const [i, row] of want.entries()) {
    for (const [j, v] of row.entries()) expect(Math.abs((got[i]?.[j] as number) - v)).toBeLessThan(tol);
  }
}

describe('orthogonal maps', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('match closed forms on 2×2 matrices', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const s = 0.7;
      const a = tf.tensor2d([
        [0, s],
        [-s, 0],
      ]);
      // exp([[0, s], [−s, 0]]) is the rotation [[cos s, sin s], [−sin s, cos s]]
      expectClose(
        matrixExp(a),
        [
          [Math.cos(s), Math.sin(s)],
          [-Math.sin(s), Math.cos(s)],
        ],
        1e-6,
      );
      // nilpotent: exp([[0, 1], [0, 0]]) = I + N
      expectClose(
        matrixExp(
          tf.tensor2d([
            [0, 1],
            [0, 0],
          ]),
        ),
        [
          [1, 1],
          [0, 1],
        ],
        1e-6,
      );
      // a large norm exercises the squaring: exp(diag(3, −2))
      expectClose(
        matrixExp(
          tf.tensor2d([
            [3, 0],
            [0, -2],
          ]),
        ),
        [
          [Math.exp(3), 0],
          [0, Math.exp(-2)],
        ],
        1e-4,
      );
      // Cayley: (I + A)⁻¹(I − A) = [[1 − s², −2s], [2s, 1 − s²]]/(1 + s²)
      const d = 1 + s * s;
      expectClose(
        cayleyMap(a),
        [
          [(1 - s * s) / d, (-2 * s) / d],
          [(2 * s) / d, (1 - s * s) / d],
        ],
        1e-6,
      );
      // one reflection about e₁
      expectClose(
        householderProduct(tf.tensor2d([[2, 0]])),
        [
          [-1, 0],
          [0, 1],
        ],
        1e-7,
      );
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('are orthogonal for skew-symmetric input (n = 16) to 1e-5', () => {
    tf.tidy(() => {
      const p = seededNormal([16, 16], 5) as tf.Tensor2D;
      const a = tf.sub(p, tf.transpose(p)) as tf.Tensor2D;
      expect(orthError(matrixExp(a))).toBeLessThan(1e-5);
      expect(orthError(cayleyMap(a))).toBeLessThan(1e-5);
      expect(orthError(householderProduct(p))).toBeLessThan(1e-5);
    });
  });

  it('have gradients that match central finite differences (general, non-skew input)', () => {
    const before = tf.memory().numTensors;
    const r = seededNormal([5, 5], 8);
    for (const [name, f] of [
      ['matrixExp', matrixExp],
      ['cayleyMap', cayleyMap],
      ['householderProduct', householderProduct],
    ] as const) {
      const v = tf.tidy(() => tf.variable(seededNormal([5, 5], 9, 0.4)));
      const { mismatches } = gradCheck(
        () => tf.sum(tf.mul(f(v as tf.Tensor2D), r)),
        [{ name, variable: v }],
        {
          coords: 8,
          eps: 3e-3,
        },
      );
      expect(mismatches).toEqual([]);
      v.dispose();
    }
    r.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reject non-square input before computing', () => {
    const x = tf.zeros([2, 3]) as tf.Tensor2D;
    expect(() => matrixExp(x)).toThrow(/matrixExp: a must be a square matrix \[n, n\], got shape \[2, 3\]/);
    expect(() => cayleyMap(x)).toThrow(/cayleyMap: a must be a square matrix/);
    x.dispose();
  });
});

describe('orthogonalRNN training', () => {
  beforeAll(async () => {
    await initBackend();
  });

  for (const parametrization of ['householder', 'cayley', 'exp'] as const) {
    it(`keeps W orthogonal to 1e-5 after 1,000 Adam steps (${parametrization})`, () => {
      const before = tf.memory().numTensors;
      const model = orthogonalRNN({ inputSize: 2, hiddenSize: 4, parametrization, outputSize: 1, seed: 4 });
      const x = seededNormal([2, 2, 2], 21);
      const y = seededNormal([2, 1], 22, 3);
      const vars = model.parameters().map((p) => p.variable);
      const opt = tf.train.adam(0.05);
      const loss = (): tf.Scalar => tf.losses.meanSquaredError(y, model.apply(x)) as tf.Scalar;
      const first = tf.tidy(() => loss().dataSync()[0] as number);
      const gen = model.parameters().find((p) => p.role === 'recurrent')?.variable as tf.Variable;
      const gen0 = gen.dataSync().slice();
      for (let i = 0; i < 1000; i++) {
        tf.tidy(() => {
          opt.minimize(loss, false, vars);
        });
      }
      let moved = 0;
      gen.dataSync().forEach((v, i) => {
        moved = Math.max(moved, Math.abs(v - (gen0[i] as number)));
      });
      const last = tf.tidy(() => loss().dataSync()[0] as number);
      const w = model.recurrentMatrix();
      // the generator moved far from its initial value, so orthogonality is not inherited from init
      expect(moved).toBeGreaterThan(0.05);
      expect(last).toBeLessThan(first);
      expect(orthError(w)).toBeLessThan(1e-5);
      w.dispose();
      opt.dispose();
      x.dispose();
      y.dispose();
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
