import { initBackend } from '@gflow/backend';
import { GflowError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradientTape } from './gradient-tape.js';
import { close, randomMatrix, tinyMLP } from './test-utils/tiny.js';

beforeAll(async () => {
  await initBackend();
});

describe('gradientTape', () => {
  const model = tinyMLP({ sizes: [3, 5, 4, 2], activation: 'tanh', seed: 7 });
  const x = randomMatrix(6, 3, 11);
  afterAll(() => {
    model.dispose();
    x.dispose();
  });
  // loss = ½‖y‖² / batch: a smooth function of every activation.
  const lossOf = (y: tf.Tensor) => tf.div(tf.sum(tf.square(y)), 2 * 6) as tf.Scalar;

  it('records the activation gradients that tf.grad gives for the same function', () => {
    const before = tf.memory().numTensors;
    const tape = gradientTape((ctx) => lossOf(model.apply(x, ctx)), {
      params: model.parameters(),
      taps: 'tensors',
    });
    expect(tape.tapStats.map((s) => s.name)).toEqual(['blocks.0', 'blocks.1', 'blocks.2']);
    // The tail of the network from blocks.0 on, as a function of h0 alone.
    const [, l1, l2] = model.parameters().filter((p) => p.role === 'kernel');
    const [, b1, b2] = model.parameters().filter((p) => p.role === 'bias');
    const tail = (h0: tf.Tensor) =>
      lossOf(
        tf.add(
          tf.matMul(
            tf.tanh(tf.add(tf.matMul(h0 as tf.Tensor2D, l1!.variable as tf.Tensor2D), b1!.variable)),
            l2!.variable as tf.Tensor2D,
          ),
          b2!.variable,
        ),
      );
    const h0 = tf.tidy(() =>
      tf.tanh(
        tf.add(tf.matMul(x, model.parameters()[0]!.variable as tf.Tensor2D), model.parameters()[1]!.variable),
      ),
    );
    const expected = tf.grad(tail)(h0);
    expect(close(tape.tapGrads['blocks.0']!.dataSync(), expected.dataSync(), 1e-6, 1e-5)).toBe(true);
    // Norm in tapStats is the norm of the recorded tensor.
    const n = Math.hypot(...expected.dataSync());
    expect(tape.tapStats[0]!.gradNorm).toBeCloseTo(n, 5);
    // The last tap is the output y, and ∂(½‖y‖²/6)/∂y = y/6 in closed form.
    const y = tf.tidy(() => tf.div(model.apply(x), 6));
    expect(close(tape.tapGrads['blocks.2']!.dataSync(), y.dataSync(), 1e-6, 1e-5)).toBe(true);
    tf.dispose([expected, h0, y]);
    tape.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('matches central finite differences of the loss in the activation', () => {
    const before = tf.memory().numTensors;
    const tape = gradientTape((ctx) => lossOf(model.apply(x, ctx)), {
      params: model.parameters(),
      taps: 'tensors',
    });
    const g = tape.tapGrads['blocks.1']!.dataSync();
    // Perturb the blocks.1 activation through a context that adds e·δ at that tap.
    const eps = 1e-2;
    const lossAt = (idx: number, delta: number) =>
      tf.tidy(() => {
        const ctx = {
          training: false,
          tap: (name: string, h: tf.Tensor) => {
            if (name !== 'blocks.1') return h;
            const bump = tf.buffer(h.shape, 'float32');
            bump.values[idx] = delta;
            return tf.add(h, bump.toTensor());
          },
        };
        return lossOf(model.apply(x, ctx)).dataSync()[0] as number;
      });
    // Float32 central differences of a smooth function: error O(eps²) + O(ulp/eps) ≈ 1e-4.
    for (const idx of [0, 3, 9, 17, 23]) {
      const fd = (lossAt(idx, eps) - lossAt(idx, -eps)) / (2 * eps);
      expect(Math.abs(fd - (g[idx] as number))).toBeLessThan(2e-4 + 1e-2 * Math.abs(fd));
    }
    tape.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives parameter gradients equal to tf.grads', () => {
    const before = tf.memory().numTensors;
    const tape = gradientTape((ctx) => lossOf(model.apply(x, ctx)), { params: model.parameters() });
    const vars = model.parameters().map((p) => p.variable);
    const { value, grads } = tf.variableGrads(() => lossOf(model.apply(x)), vars);
    value.dispose();
    for (const p of model.parameters()) {
      expect(close(tape.paramGrads[p.name]!.dataSync(), grads[p.variable.name]!.dataSync(), 1e-7, 1e-5)).toBe(
        true,
      );
    }
    expect(tape.lossValue).toBeCloseTo(tape.loss.dataSync()[0] as number, 6);
    tf.dispose(grads);
    tape.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports a parameter the loss does not depend on as disconnected', () => {
    const before = tf.memory().numTensors;
    const unused = tf.tidy(() => tf.variable(tf.ones([2]), true, `unused.${Math.random()}`));
    const params = [...model.parameters(), { name: 'unused', variable: unused, role: 'other' as const }];
    const tape = gradientTape((ctx) => lossOf(model.apply(x, ctx)), { params });
    expect(tape.disconnected).toEqual(['unused']);
    expect(tape.paramGrads.unused).toBeUndefined();
    tape.dispose();
    // All parameters disconnected: still no crash.
    const tape2 = gradientTape(() => tf.scalar(3), {
      params: [{ name: 'unused', variable: unused, role: 'other' }],
    });
    expect(tape2.disconnected).toEqual(['unused']);
    expect(tape2.lossValue).toBe(3);
    tape2.dispose();
    unused.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('records activation statistics, dead units included', () => {
    const before = tf.memory().numTensors;
    const w = tf.tidy(() =>
      tf.variable(
        tf.tensor2d([
          [1, -1, 0],
          [1, -1, 0],
        ]),
        true,
        `w.${Math.random()}`,
      ),
    );
    // x rows (1,2) and (3,-1): z = x·w = [[3,-3,0],[2,-2,0]]; relu → [[3,0,0],[2,0,0]].
    const xs = tf.tensor2d([
      [1, 2],
      [3, -1],
    ]);
    const tape = gradientTape((ctx) => tf.sum(ctx.tap('act', tf.relu(tf.matMul(xs, w)))) as tf.Scalar, {
      params: [{ name: 'w', variable: w, role: 'kernel' }],
      activations: true,
    });
    const a = tape.tapStats[0]!.activation!;
    // Entries 3,0,0,2,0,0: mean 5/6; E[x²] = 13/6 → var = 13/6 − 25/36 = 53/36.
    expect(a.mean).toBeCloseTo(5 / 6, 6);
    expect(a.std).toBeCloseTo(Math.sqrt(53 / 36), 5);
    expect(a.min).toBe(0);
    expect(a.max).toBe(3);
    expect(a.zeroFraction).toBeCloseTo(4 / 6, 6);
    expect(a.deadUnitFraction).toBeCloseTo(2 / 3, 6); // units 1 and 2 are zero for both rows
    // ∂Σrelu(z)/∂(relu(z)) is all ones: norm √6.
    expect(tape.tapStats[0]!.gradNorm).toBeCloseTo(Math.sqrt(6), 5);
    tape.dispose();
    tf.dispose([w, xs]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names repeated taps and reports taps the gradient never reached', () => {
    const before = tf.memory().numTensors;
    const w = tf.tidy(() => tf.variable(tf.scalar(2), true, `w.${Math.random()}`));
    const tape = gradientTape(
      (ctx) => {
        const input = ctx.tap('in', tf.scalar(3)); // before any parameter: no gradient path
        const a = ctx.tap('h', tf.mul(input, w));
        const b = ctx.tap('h', tf.mul(a, w));
        return b as tf.Scalar;
      },
      { params: [{ name: 'w', variable: w, role: 'other' }] },
    );
    expect(tape.tapStats.map((s) => s.name)).toEqual(['in', 'h', 'h#2']);
    expect(tape.tapStats[0]!.gradNorm).toBeNull();
    // L = 3w², ∂L/∂a = w = 2, ∂L/∂b = 1, ∂L/∂w = 6w = 12.
    expect(tape.tapStats[1]!.gradNorm).toBeCloseTo(2, 6);
    expect(tape.tapStats[2]!.gradNorm).toBeCloseTo(1, 6);
    expect(tape.paramGrads.w!.dataSync()[0]).toBeCloseTo(12, 5);
    tape.dispose();
    w.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad input with a GflowError naming the argument, and leaks nothing', () => {
    const before = tf.memory().numTensors;
    const w = tf.tidy(() => tf.variable(tf.ones([2]), true, `w.${Math.random()}`));
    const params = [{ name: 'w', variable: w, role: 'other' as const }];
    expect(() => gradientTape((ctx) => ctx.tap('v', tf.mul(w, 2)) as tf.Scalar, { params })).toThrow(
      /gradientTape: fn must return a scalar tensor \(the loss\), got a tensor of shape \[2\]/,
    );
    expect(() => gradientTape(() => tf.sum(w), { params: [...params, ...params] })).toThrow(GflowError);
    expect(() => gradientTape(() => tf.sum(w), { params: [...params, ...params] })).toThrow(/unique names/);
    expect(() => gradientTape(42 as never, { params })).toThrow(/gradientTape: fn must be a function/);
    w.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
