import { initBackend } from '@gflow/backend';
import { type Context, lstm, type Module, type Parameter } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GradientMonitor } from './gradient-monitor.js';
import { gradientTape } from './gradient-tape.js';
import { hostScaledPair, pairSquared, scaledPairs } from './internal/norms.js';
import { measureGradientFlow } from './measure-gradient-flow.js';
import { createTrainState } from './train-state.js';
import { trainStep } from './train-step.js';

// Truth at the extremes (issue 14): a deep linear net h_{k+1} = h_k·W_k with W_k = s·I, loss
// ⟨h_L, u⟩. Since W is symmetric, ∂L/∂h_{k+1} = u·s^(L−1−k) exactly: powers of two are exact in
// float32 and the matrix products add only zeros, so the expected tap norms are ‖u‖·s^j with no
// rounding at all. A float32 Σg² says 0 for s = 0.5, L = 120 (the first tap is 2⁻¹¹⁹ ≈ 1.5e-36, its
// square 2.4e-72) and ∞ for s = 2, L = 100 (2⁹⁹ ≈ 6.3e29, squared 4e59).

const D = 4;
// ‖u‖ = 1 exactly.
const U = [0.5, -0.5, 0.5, 0.5];

function deepLinear(s: number, depth: number): Module & { dispose(): void } {
  const params: Parameter[] = [];
  for (let k = 0; k < depth; k++) {
    const w = tf.tidy(() =>
      tf.variable(tf.mul(tf.eye(D), s), true, `lin.${k}.${Math.random().toString(36).slice(2)}`),
    );
    params.push({ name: `blocks.${k}.kernel`, variable: w, role: 'kernel' });
  }
  return {
    name: `linear-${s}-${depth}`,
    parameters: () => params,
    apply(x: tf.Tensor, ctx?: Context): tf.Tensor {
      let h = x;
      params.forEach((p, k) => {
        const z = tf.matMul(h as tf.Tensor2D, p.variable as tf.Tensor2D);
        h = ctx ? ctx.tap(`blocks.${k}`, z) : z;
      });
      return h;
    },
    dispose() {
      for (const p of params) p.variable.dispose();
    },
  };
}

/** ⟨h, u⟩ summed over the batch. */
const innerWithU = (_targets: tf.Tensor, outputs: tf.Tensor): tf.Scalar =>
  tf.sum(tf.mul(outputs, tf.tensor1d(U))) as tf.Scalar;

/** The exact ∂L/∂h norm at tap k: s^(L−1−k). */
const expected = (s: number, depth: number, k: number) => s ** (depth - 1 - k);

const rel = (got: number | null, want: number) => Math.abs((got as number) / want - 1);

for (const engine of ['wasm', 'cpu'] as const) {
  describe(`gradient norms at the extremes on ${engine}`, () => {
    beforeAll(async () => {
      await initBackend({ prefer: engine });
    });
    afterAll(async () => {
      await initBackend();
    });

    for (const [s, depth] of [
      [0.5, 120],
      [2, 100],
    ] as const) {
      it(`W = ${s}·I, ${depth} blocks: every tap is ‖u‖·s^k within 1e-5 (measureGradientFlow, gradientTape, GradientMonitor)`, () => {
        const before = tf.memory().numTensors;
        const net = deepLinear(s, depth);
        const x = tf.ones([1, D]);
        const y = tf.zeros([1, D]);
        // measureGradientFlow
        const r = measureGradientFlow(net, { inputs: x, targets: y, loss: innerWithU });
        expect(r.taps).toHaveLength(depth);
        r.taps.forEach((t, k) => {
          expect(rel(t.gradNorm, expected(s, depth, k))).toBeLessThan(1e-5);
        });
        // Every kernel's gradient is the outer product of h_k = x·s^k and u·s^(L−1−k): norm
        // ‖x‖·‖u‖·s^(L−1) = 2·s^(L−1) for every block.
        for (const p of r.parameters) expect(rel(p.gradNorm, 2 * s ** (depth - 1))).toBeLessThan(1e-5);
        expect(rel(r.globalNorm, 2 * s ** (depth - 1) * Math.sqrt(depth))).toBeLessThan(1e-5);
        // The first tap's ratio to the last is s^(L−1), not 0 or ∞.
        expect(rel(r.taps[0]!.ratioToLast, s ** (depth - 1))).toBeLessThan(1e-5);
        // gradientTape
        const tape = gradientTape((ctx) => innerWithU(y, net.apply(x, ctx)) as tf.Scalar, {
          params: net.parameters(),
        });
        expect(tape.tapStats).toHaveLength(depth);
        tape.tapStats.forEach((t, k) => {
          expect(rel(t.gradNorm, expected(s, depth, k))).toBeLessThan(1e-5);
        });
        tape.dispose();
        // GradientMonitor through trainStep (taps on), with a learning rate of 0 so the weights stay.
        const monitor = new GradientMonitor({ histogram: false });
        const optimizer = tf.train.sgd(0);
        const outcome = trainStep(net, { inputs: x, targets: y }, createTrainState(), {
          optimizer,
          loss: innerWithU,
          monitor,
          taps: true,
        });
        const rec = outcome.record!;
        rec.taps!.forEach((t, k) => {
          expect(rel(t.gradNorm, expected(s, depth, k))).toBeLessThan(1e-5);
        });
        expect(rel(outcome.globalNorm, 2 * s ** (depth - 1) * Math.sqrt(depth))).toBeLessThan(1e-5);
        for (const p of rec.parameters) expect(rel(p.gradNorm, 2 * s ** (depth - 1))).toBeLessThan(1e-5);
        // ‖W‖_F = 2s for every block (weights at 1e30 or 1e-36 would not matter either).
        for (const p of rec.parameters) expect(rel(p.weightNorm, 2 * s)).toBeLessThan(1e-6);
        expect(rec.finite).toBe(true);
        monitor.dispose();
        optimizer.dispose();
        net.dispose();
        tf.dispose([x, y]);
        expect(tf.memory().numTensors).toBe(before);
      });
    }

    it('three states: 0 only for an all-zero gradient, null for no gradient (with why), NaN for NaN', () => {
      const before = tf.memory().numTensors;
      // W = 0: every tap upstream of the last block gets an exactly zero gradient; a tap on a value
      // no parameter influences (the input itself) gets none.
      const net = deepLinear(0, 3);
      const zeroNet: Module = {
        name: 'zero',
        parameters: net.parameters,
        apply: (x, ctx) => net.apply(ctx ? ctx.tap('input', x) : x, ctx),
      };
      const x = tf.ones([1, D]);
      const y = tf.zeros([1, D]);
      const r = measureGradientFlow(zeroNet, { inputs: x, targets: y, loss: innerWithU });
      const byName = Object.fromEntries(r.taps.map((t) => [t.name, t]));
      expect(byName.input!.gradNorm).toBeNull();
      expect(byName.input!.noGradient).toMatch(/no gradient reached this tap/);
      expect(byName['blocks.0']!.gradNorm).toBe(0);
      expect(byName['blocks.0']!.noGradient).toBeUndefined();
      expect(byName['blocks.2']!.gradNorm).toBeCloseTo(1, 6);
      // NaN inputs: the taps' gradients are finite (∂L/∂h does not depend on x here) but the
      // kernels' gradients are NaN: reported as NaN and as a non-finite finding, never null.
      const nanX = tf.fill([1, D], Number.NaN);
      const n = measureGradientFlow(net, { inputs: nanX, targets: y, loss: innerWithU });
      for (const p of n.parameters) expect(p.gradNorm).toBeNaN();
      expect(n.diagnosis.some((f) => f.severity === 'error' && f.kind === 'non-finite')).toBe(true);
      net.dispose();
      tf.dispose([x, y, nanX]);
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}

describe('every tap observable', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('∂L/∂h_init of an LSTM over 100 steps is measured (it was null: the zero state depended on nothing)', () => {
    const before = tf.memory().numTensors;
    const model = lstm({ inputSize: 3, hiddenSize: 16, outputSize: 2, seed: 3 });
    const x = tf.randomNormal([8, 100, 3], 0, 1, 'float32', 5);
    const y = tf.randomNormal([8, 2], 0, 1, 'float32', 6);
    const r = measureGradientFlow(model, { inputs: x, targets: y, loss: 'meanSquaredError' });
    const init = r.taps.find((t) => t.name === 'h.init')!;
    const h0 = r.taps.find((t) => t.name === 'h.0')!;
    expect(init.noGradient).toBeUndefined();
    expect(init.gradNorm).toBeGreaterThan(0);
    expect(Number.isFinite(init.gradNorm)).toBe(true);
    // One step before h.0: of the same order as h.0's gradient, not a float32 zero.
    expect((init.gradNorm as number) / (h0.gradNorm as number)).toBeGreaterThan(1e-3);
    expect(r.taps.every((t) => t.gradNorm !== null)).toBe(true);
    model.dispose();
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('scale-safe pairs', () => {
  beforeAll(async () => {
    await initBackend();
  });

  // The float64 norm of the float32 values: the reference.
  const float64Norm = (v: Float32Array) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));

  it('property: for tensors scaled by 2^e, e in [−140, 120], the norm is the float64 norm within 1e-6 (host and device paths)', () => {
    const before = tf.memory().numTensors;
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 64 }),
        fc.integer({ min: -140, max: 120 }),
        (raw, e) => {
          const values = Float32Array.from(raw, (x) => x * 2 ** e);
          const want = float64Norm(values);
          const t = tf.tensor1d(values);
          for (const onHost of [true, false]) {
            const pairs = scaledPairs({ t }, ['t'], onHost);
            const [m, s] = Array.from(pairs.dataSync());
            pairs.dispose();
            const got = Math.sqrt(pairSquared(m as number, s as number));
            if (want === 0) expect(got).toBe(0);
            // Subnormal float32 elements (below 2⁻¹²⁶) are exact inputs too: the division by m
            // is one rounding, relative 6e-8.
            else expect(Math.abs(got / want - 1)).toBeLessThan(1e-6);
          }
          t.dispose();
        },
      ),
      { numRuns: 300, seed: 14 },
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the smallest subnormal and the largest finite float32 are measured exactly', () => {
    const before = tf.memory().numTensors;
    const tiny = 2 ** -149;
    const big = 3.4028234663852886e38;
    for (const onHost of [true, false]) {
      const t = tf.tensor1d([tiny, tiny, tiny, tiny]);
      const b = tf.tensor1d([big, big, big, big]);
      const p = scaledPairs({ t, b }, ['t', 'b'], onHost);
      const v = Array.from(p.dataSync());
      expect(Math.sqrt(pairSquared(v[0]!, v[1]!))).toBe(2 * tiny);
      expect(Math.sqrt(pairSquared(v[2]!, v[3]!)) / (2 * big)).toBeCloseTo(1, 12);
      tf.dispose([t, b, p]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a global norm over tensors 1e60 apart adds their squares in float64', () => {
    const before = tf.memory().numTensors;
    // ‖a‖ = 5e-30, ‖b‖ = 13e30: global = √(25e-60 + 169e60) = 13e30 (the small one is invisible).
    const a = tf.tensor1d([3e-30, 4e-30]);
    const b = tf.tensor1d([5e30, 12e30]);
    const p = scaledPairs({ a, b }, ['a', 'b']);
    const v = Array.from(p.dataSync());
    const sa = pairSquared(v[0]!, v[1]!);
    const sb = pairSquared(v[2]!, v[3]!);
    expect(Math.sqrt(sa) / 5e-30).toBeCloseTo(1, 6);
    expect(Math.sqrt(sb) / 13e30).toBeCloseTo(1, 6);
    expect(Math.sqrt(sa + sb) / 13e30).toBeCloseTo(1, 6);
    tf.dispose([a, b, p]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('non-finite elements: ∞ gives ∞, NaN gives NaN (host)', () => {
    const inf = hostScaledPair([1, Number.POSITIVE_INFINITY]);
    expect(pairSquared(inf[0], inf[1])).toBe(Number.POSITIVE_INFINITY);
    const nan = hostScaledPair([1, Number.NaN, 2]);
    expect(pairSquared(nan[0], nan[1])).toBeNaN();
    const zero = hostScaledPair([0, -0, 0]);
    expect(pairSquared(zero[0], zero[1])).toBe(0);
  });
});
