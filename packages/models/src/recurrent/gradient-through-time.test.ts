import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../model.js';
import { seededNormal } from '../test-utils/gradcheck.js';
import { orthogonalRNN } from './orthogonal-rnn.js';
import { unitaryRNN } from './unitary-rnn.js';
import { vanillaRNN } from './vanilla-rnn.js';

/**
 * ‖(∂h_T/∂h_0)ᵀ v‖ for a unit vector v: the initial state is perturbed through the `h.init` tap by
 * a zero tensor δ and the gradient of v·h_T with respect to δ is taken.
 */
function backpropNorm(model: Model, x: tf.Tensor, hidden: number, vSeed: number): number {
  return tf.tidy(() => {
    const v0 = seededNormal([1, hidden], vSeed);
    const v = tf.div(v0, tf.norm(v0));
    const g = tf.grad((delta: tf.Tensor) =>
      tf.sum(
        tf.mul(
          model.apply(x, { training: false, tap: (n, t) => (n === 'h.init' ? tf.add(t, delta) : t) }),
          v,
        ),
      ),
    )(tf.zeros([1, hidden]));
    return tf.norm(g).dataSync()[0] as number;
  });
}

describe('gradient through time', () => {
  beforeAll(async () => {
    await initBackend();
  });

  const T = 1000;
  for (const parametrization of ['exp', 'cayley', 'householder'] as const) {
    it(`orthogonalRNN (${parametrization}) keeps ‖∂h_T/∂h_0‖ within 10% of 1 at T = 1,000`, () => {
      const before = tf.memory().numTensors;
      const model = orthogonalRNN({ inputSize: 2, hiddenSize: 8, parametrization, seed: 5 });
      const x = seededNormal([1, T, 2], 31);
      for (const s of [1]) {
        // modReLU with bias 0 is the identity away from 0, so Jᵀv = (Wᵀ)^T v and the norm is 1;
        // float32 rounding over 1,000 products stays far inside the 10% bar
        const n = backpropNorm(model, x, 8, s);
        expect(Math.abs(n - 1)).toBeLessThan(0.1);
        expect(Math.abs(n - 1)).toBeLessThan(1e-3);
      }
      x.dispose();
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('unitaryRNN keeps ‖∂h_T/∂h_0‖ within 10% of 1 at T = 1,000', () => {
    const before = tf.memory().numTensors;
    const model = unitaryRNN({ inputSize: 2, hiddenSize: 8, seed: 6 });
    const x = seededNormal([1, T, 2], 32);
    for (const s of [3]) {
      const n = backpropNorm(model, x, 8, s);
      expect(Math.abs(n - 1)).toBeLessThan(0.1);
      expect(Math.abs(n - 1)).toBeLessThan(1e-3);
    }
    // and its recurrent matrix (real 2N×2N form) is orthogonal
    tf.tidy(() => {
      const w = model.recurrentMatrix();
      const err = tf.max(tf.abs(tf.sub(tf.matMul(w, w, true, false), tf.eye(8)))).dataSync()[0] as number;
      expect(err).toBeLessThan(1e-5);
    });
    x.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a vanilla tanh RNN with spectral radius 0.9 decays as 0.9^T', () => {
    const before = tf.memory().numTensors;
    // W = 0.9·Q (Q orthogonal): at h ≡ 0 (zero input kernel, zero input), tanh′(0) = 1 and
    // Jᵀv = (0.9Q)^T v exactly, so ‖Jᵀv‖ = 0.9^T for every unit v.
    const model = vanillaRNN({
      inputSize: 2,
      hiddenSize: 8,
      recurrentInit: { name: 'orthogonal', gain: 0.9 },
      init: 'zeros',
      seed: 7,
    });
    const x100 = tf.zeros([1, 100, 2]);
    const n100 = backpropNorm(model, x100, 8, 1);
    expect(Math.abs(n100 / 0.9 ** 100 - 1)).toBeLessThan(1e-3);
    // T = 1,000: 0.9^1000 ≈ 1.7e-46 is below float32's smallest subnormal, so the gradient is gone
    const x1000 = tf.zeros([1, T, 2]);
    expect(backpropNorm(model, x1000, 8, 1)).toBeLessThanOrEqual(1.5e-45);
    x100.dispose();
    x1000.dispose();
    model.dispose();
    // with inputs, |tanh′| ≤ 1 makes 0.9^T an upper bound (Pascanu et al. 2013)
    const driven = vanillaRNN({
      inputSize: 2,
      hiddenSize: 8,
      recurrentInit: { name: 'orthogonal', gain: 0.9 },
      seed: 8,
    });
    const x = seededNormal([1, 50, 2], 33);
    const n50 = backpropNorm(driven, x, 8, 2);
    expect(n50).toBeLessThanOrEqual(0.9 ** 50 * (1 + 1e-4));
    expect(n50).toBeGreaterThan(0);
    x.dispose();
    driven.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
