import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { highwayMLP, plainMLP, residualConvNet, residualMLP } from './index.js';
import type { Context } from './module.js';
import { seededNormal } from './test-utils/gradcheck.js';

function recordingContext(store: Map<string, Float32Array>): Context {
  return {
    training: false,
    tap: (name, t) => {
      store.set(name, t.dataSync() as Float32Array);
      return t;
    },
  };
}

describe('closed-form cases', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('a linear stack of orthogonal matrices preserves the gradient norm exactly', () => {
    const before = tf.memory().numTensors;
    // y = x Q₁⋯Q_L with Q_l orthogonal: ∂(v·y)/∂x = v Q_Lᵀ⋯Q₁ᵀ has norm ‖v‖ (float32 rounding only)
    const net = plainMLP({
      depth: 50,
      width: 8,
      inputSize: 8,
      activation: 'linear',
      init: 'orthogonal',
      bias: false,
      seed: 2,
    });
    tf.tidy(() => {
      const x = seededNormal([1, 8], 3);
      const v = seededNormal([1, 8], 4);
      const g = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(net.apply(xx), v)))(x);
      const ratio = (tf.norm(g).dataSync()[0] as number) / (tf.norm(v).dataSync()[0] as number);
      expect(Math.abs(ratio - 1)).toBeLessThan(1e-5);
      // and the forward norm too: ‖y‖ = ‖x‖
      const fr = (tf.norm(net.apply(x)).dataSync()[0] as number) / (tf.norm(x).dataSync()[0] as number);
      expect(Math.abs(fr - 1)).toBeLessThan(1e-5);
    });
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a highway layer with T ≡ 0 is the identity (and so is its Jacobian)', () => {
    const before = tf.memory().numTensors;
    const net = highwayMLP({ depth: 3, width: 5, inputSize: 4, activation: 'tanh', seed: 3 });
    for (const p of net.parameters()) {
      // T = σ(0·x − 1e4) = 0 exactly in float32
      if (p.name.endsWith('gate.kernel')) tf.tidy(() => p.variable.assign(tf.zerosLike(p.variable)));
      if (p.name.endsWith('gate.bias')) tf.tidy(() => p.variable.assign(tf.fill(p.variable.shape, -1e4)));
    }
    tf.tidy(() => {
      const x = seededNormal([2, 4], 5);
      const taps = new Map<string, Float32Array>();
      const y = net.apply(x, recordingContext(taps));
      // the stem is tanh(x W₀ + b₀); every block passes it through unchanged
      const stemParams = net.parameters().filter((p) => p.name.startsWith('stem.'));
      const stem = tf.tanh(
        tf.add(tf.matMul(x, stemParams[0]?.variable as tf.Tensor2D), stemParams[1]?.variable as tf.Tensor),
      );
      const want = Array.from(stem.dataSync());
      for (const k of ['blocks.0', 'blocks.1', 'blocks.2'])
        expect(Array.from(taps.get(k) ?? [])).toEqual(want);
      expect(Array.from(y.dataSync())).toEqual(want);
      // Jacobian of the blocks is I: the gradient w.r.t. the first block's input equals the upstream one
      const v = seededNormal([2, 5], 6);
      const g = tf.grad((d: tf.Tensor) =>
        tf.sum(
          tf.mul(net.apply(x, { training: false, tap: (n, t) => (n === 'blocks.0' ? tf.add(t, d) : t) }), v),
        ),
      )(tf.zeros([2, 5]));
      expect(Array.from(g.dataSync())).toEqual(Array.from(v.dataSync()));
    });
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  for (const variant of ['pre-activation', 'post-activation'] as const) {
    it(`a residual block with a zero branch is the identity (${variant})`, () => {
      const before = tf.memory().numTensors;
      const net = residualMLP({ depth: 3, width: 6, inputSize: 4, variant, seed: 4 });
      for (const p of net.parameters()) {
        if (p.name.includes('.dense2.')) tf.tidy(() => p.variable.assign(tf.zerosLike(p.variable)));
      }
      tf.tidy(() => {
        const x = seededNormal([3, 4], 7);
        const taps = new Map<string, Float32Array>();
        net.apply(x, recordingContext(taps));
        const [w, b] = net.parameters().filter((p) => p.name.startsWith('stem.'));
        const lin = tf.add(tf.matMul(x, w?.variable as tf.Tensor2D), b?.variable as tf.Tensor);
        // pre-activation: the stem is linear and x + 0 = x; post-activation: the stem is relu(·) ≥ 0,
        // and relu(x + 0) = x for x ≥ 0
        const stem = variant === 'pre-activation' ? lin : tf.relu(lin);
        const want = Array.from(stem.dataSync());
        for (const k of ['blocks.0', 'blocks.1', 'blocks.2'])
          expect(Array.from(taps.get(k) ?? [])).toEqual(want);
      });
      net.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('a 100-block pre-activation residual conv net runs forward and backward on the default engine', () => {
    const before = tf.memory().numTensors;
    const net = residualConvNet({
      depth: 100,
      channels: 2,
      inputChannels: 1,
      outputSize: 3,
      variant: 'pre-activation',
      norm: 'batch',
      branchScale: 0.1,
      seed: 9,
    });
    expect(net.parameters().length).toBe(2 + 100 * 8 + 2 + 2);
    tf.tidy(() => {
      const x = seededNormal([2, 4, 4, 1], 8);
      const loss = (xx: tf.Tensor): tf.Scalar => tf.sum(net.apply(xx, { training: true, tap: (_n, t) => t }));
      // the input gradient crosses all 100 blocks (Conv2DBackpropInput on every conv)
      const gx = tf.grad(loss)(x);
      expect(Array.from(gx.dataSync()).every(Number.isFinite)).toBe(true);
      expect(tf.norm(gx).dataSync()[0]).toBeGreaterThan(0);
      // filter gradients need Conv2DBackpropFilter, which wasm gets from @gflow/backend's fills
      if (tf.getKernel('Conv2DBackpropFilter', tf.getBackend()) !== undefined) {
        const { grads } = tf.variableGrads(
          () => loss(x),
          net.parameters().map((p) => p.variable),
        );
        for (const g of Object.values(grads))
          expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
      }
    });
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
