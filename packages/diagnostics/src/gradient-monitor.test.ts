import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GradientMonitor, type GradientMonitorOptions } from './gradient-monitor.js';
import { randomMatrix, tidyValue, tinyMLP } from './test-utils/tiny.js';

beforeAll(async () => {
  await initBackend();
});

/** Two-pass population moments, computed directly (independent of the monitor's merge). */
function moments(xs: number[]) {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const c = (p: number) => xs.reduce((a, x) => a + (x - mean) ** p, 0) / n;
  return { mean, variance: c(2), skewness: c(3) / c(2) ** 1.5, kurtosis: c(4) / c(2) ** 2 - 3 };
}

describe('GradientMonitor', () => {
  it('entropy: per parameter, as −Σ p ln p of p = |g|/Σ|g| by hand, at any magnitude; null for a zero gradient', () => {
    const before = tf.memory().numTensors;
    const m = new GradientMonitor({ histogram: false, entropy: true });
    const h13 = -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)); // p = (1/4, 3/4)
    tf.tidy(() => {
      const r = m.record({
        grads: {
          even: tf.tensor1d([2, -2, 2, -2]),
          pair: tf.tensor1d([1e-30, -3e-30]),
          huge: tf.tensor2d([[1e30, 3e30]]),
          zero: tf.tensor1d([0, 0]),
        },
      });
      const e = Object.fromEntries(r.parameters.map((p) => [p.name, p.entropy]));
      expect(e.even).toBeCloseTo(Math.log(4), 6);
      expect(e.pair).toBeCloseTo(h13, 6);
      expect(e.huge).toBeCloseTo(h13, 6);
      expect(e.zero).toBeNull();
    });
    // σ₁ and ρ of named weights every `every` steps: [[0, 2], [0.5, 0]] has ρ = 1 (eigenvalues ±1), σ₁ = 2.
    const sp = new GradientMonitor({ histogram: false, spectra: { params: ['w'], every: 2 } });
    tf.tidy(() => {
      const w = tf.tensor2d([
        [0, 2],
        [0.5, 0],
      ]);
      const input = { grads: { w: tf.onesLike(w) }, params: { w } };
      expect(sp.record(input).spectra).toBeUndefined();
      const s2 = sp.record(input).spectra;
      expect(s2?.map((x) => x.name)).toEqual(['w']);
      expect(s2?.[0]?.sigma1).toBeCloseTo(2, 6);
      expect(s2?.[0]?.spectralRadius).toBeCloseTo(1, 6);
      const every1 = new GradientMonitor({ histogram: false, spectra: { params: ['w'], every: 1 } });
      expect(() => every1.record({ grads: { v: tf.ones([2]) }, params: { v: tf.ones([2]) } })).toThrow(
        /options.spectra names "w", but the step's params have no such weight/,
      );
      every1.dispose();
    });
    sp.dispose();
    expect(() => new GradientMonitor({ spectra: { params: [] } })).toThrow(/options.spectra must be/);
    // Off by default: no field.
    const plain = new GradientMonitor({ histogram: false });
    tf.tidy(() => {
      expect(plain.record({ grads: { a: tf.tensor1d([1, 2]) } }).parameters[0]).not.toHaveProperty('entropy');
    });
    m.dispose();
    plain.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('maxAbs: ‖g‖∞ per parameter by hand, exact at any magnitude (subnormal included), 0 for a zero gradient, absent by default', () => {
    const before = tf.memory().numTensors;
    const m = new GradientMonitor({ histogram: false, maxAbs: true });
    const plain = new GradientMonitor({ histogram: false });
    tf.tidy(() => {
      const grads = {
        small: tf.tensor1d([3, -7, 2]),
        huge: tf.tensor2d([[1e30, -3e30]]),
        tiny: tf.tensor1d([1e-40, -2e-40]), // float32 subnormals, below the scale's floor 2⁻¹²⁶
        zero: tf.tensor2d([[0], [0]]),
      };
      const r = m.record({ grads });
      const inf = Object.fromEntries(r.parameters.map((p) => [p.name, p.gradMaxAbs]));
      // The float32 values of the largest magnitudes, written down: a float32 max is exact.
      expect(inf).toEqual({ small: 7, huge: Math.fround(3e30), tiny: Math.fround(2e-40), zero: 0 });
      // ‖g‖∞ ≤ ‖g‖₂ ≤ √n‖g‖∞ (n = 3): √(9 + 49 + 4) = √62.
      expect(r.parameters[0]?.gradNorm).toBeCloseTo(Math.sqrt(62), 5);
      expect(JSON.parse(m.toJSONLines()).parameters[1].gradMaxAbs).toBe(Math.fround(3e30));
      expect('gradMaxAbs' in (plain.record({ grads }).parameters[0] as object)).toBe(false);
      // A NaN entry is reported, not skipped by the maximum (and the record is not finite).
      const bad = m.record({ grads: { a: tf.tensor1d([1, Number.NaN, -2]) } });
      expect(bad.parameters[0]?.gradMaxAbs).toBeNaN();
      expect(bad.finite).toBe(false);
    });
    m.dispose();
    plain.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => new GradientMonitor({ maxAbs: 'yes' as unknown as boolean })).toThrow(
      /GradientMonitor: options\.maxAbs must be true or false, got "yes"/,
    );
    expect(() => new GradientMonitor({ entropy: 1 as unknown as boolean })).toThrow(
      /GradientMonitor: options\.entropy must be true or false, got 1/,
    );
  });

  it('maxAbs reuses the maximum the gradient scale takes: one Reshape per parameter more, no reduction (tf.profile)', async () => {
    const before = tf.memory().numTensors;
    const grads = { w: randomMatrix(4, 3, 1), b: tf.tensor1d([0.5, -1, 2]) };
    const kernels = async (options: GradientMonitorOptions) => {
      const m = new GradientMonitor({ histogram: false, ...options });
      const info = await tf.profile(() => {
        m.record({ grads });
      });
      m.dispose();
      const counts = new Map<string, number>();
      for (const k of info.kernels) counts.set(k.name, (counts.get(k.name) ?? 0) + 1);
      return counts;
    };
    const plain = await kernels({});
    const withMax = await kernels({ maxAbs: true });
    const added = [...withMax].flatMap(([name, n]) =>
      n !== (plain.get(name) ?? 0) ? [[name, n - (plain.get(name) ?? 0)]] : [],
    );
    expect(added).toEqual([['Reshape', 2]]);
    tf.dispose(Object.values(grads));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('computes norms, ratios, moments, dead units, cosine and update ratio by hand', () => {
    const before = tf.memory().numTensors;
    const m = new GradientMonitor({ histogram: false });
    tf.tidy(() => {
      const r1 = m.record({
        loss: 0.5,
        grads: {
          a: tf.tensor1d([3, 4]),
          k: tf.tensor2d([
            [1, 0],
            [0, 0],
          ]),
        },
        params: {
          a: tf.tensor1d([0, 2]),
          k: tf.tensor2d([
            [2, 0],
            [0, 0],
          ]),
        },
      });
      expect(r1.step).toBe(1); // steps count from 1
      expect(r1.loss).toBe(0.5);
      expect(r1.globalNorm).toBeCloseTo(Math.sqrt(26), 6);
      expect(r1.cosine).toBeNull();
      const [a, k] = r1.parameters;
      expect(a!.gradNorm).toBeCloseTo(5, 6);
      expect(a!.weightNorm).toBeCloseTo(2, 6);
      expect(a!.ratio).toBeCloseTo(2.5, 6);
      expect(a!.updateRatio).toBeNull();
      // (3, 4): mean 3.5, variance 0.25, skewness 0, excess kurtosis 1 − 3 = −2.
      expect(a!.mean).toBeCloseTo(3.5, 6);
      expect(a!.variance).toBeCloseTo(0.25, 6);
      expect(a!.skewness).toBeCloseTo(0, 6);
      expect(a!.kurtosis).toBeCloseTo(-2, 5);
      expect(a!.deadUnitFraction).toBeUndefined();
      // k = (1, 0, 0, 0): m2 = 0.1875, m3 = 0.09375, m4 = 0.08203125.
      expect(k!.skewness).toBeCloseTo(0.09375 / 0.1875 ** 1.5, 5);
      expect(k!.kurtosis).toBeCloseTo(0.08203125 / 0.1875 ** 2 - 3, 5);
      // Column 1 of k has an all-zero gradient: half the units are dead.
      expect(k!.deadUnitFraction).toBe(0.5);
      const all = moments([3, 4, 1, 0, 0, 0]);
      expect(r1.distribution!.mean).toBeCloseTo(all.mean, 6);
      expect(r1.distribution!.variance).toBeCloseTo(all.variance, 5);
      expect(r1.distribution!.skewness).toBeCloseTo(all.skewness, 5);
      expect(r1.distribution!.kurtosis).toBeCloseTo(all.kurtosis, 4);
      expect(r1.finite).toBe(true);

      const r2 = m.record({
        loss: tf.scalar(0.25),
        grads: {
          a: tf.tensor1d([3, 4]),
          k: tf.tensor2d([
            [0, 0],
            [0, 1],
          ]),
        },
        params: {
          a: tf.tensor1d([0, 2.2]),
          k: tf.tensor2d([
            [2, 0],
            [0, 0],
          ]),
        },
      });
      expect(r2.step).toBe(2);
      expect(r2.loss).toBe(0.25);
      // g₁·g₂ = 25 + 0; ‖g₁‖ = ‖g₂‖ = √26.
      expect(r2.cosine).toBeCloseTo(25 / 26, 6);
      // ‖Δa‖ = 0.2 against ‖a‖ = 2.2; k did not move.
      expect(r2.parameters[0]!.updateRatio).toBeCloseTo(0.2 / 2.2, 5);
      expect(r2.parameters[1]!.updateRatio).toBe(0);
    });
    expect(m.size).toBe(2);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('uses paramsBefore/params for the exact update of this step', () => {
    const before = tf.memory().numTensors;
    const m = new GradientMonitor({ histogram: false, moments: false });
    tf.tidy(() => {
      const r = m.record({
        grads: { w: tf.tensor1d([1, 0]) },
        paramsBefore: { w: tf.tensor1d([3, 4]) },
        params: { w: tf.tensor1d([3, 4.5]) },
      });
      expect(r.parameters[0]!.weightNorm).toBeCloseTo(5, 6);
      expect(r.parameters[0]!.updateRatio).toBeCloseTo(0.1, 6);
      expect(r.distribution).toBeUndefined();
    });
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('builds a log10|g| histogram with underflow and overflow, and drops NaN', () => {
    const before = tf.memory().numTensors;
    const m = new GradientMonitor({ histogram: { bins: 2, min: -1, max: 1, every: 1 } });
    const r = tidyValue(() => m.record({ grads: { w: tf.tensor1d([0, 0.05, 0.5, 5, 50, Number.NaN]) } }));
    // log10: −∞, −1.3, −0.3, 0.7, 1.7, NaN → underflow 2, bins [−1,0) and [0,1) one each, overflow 1.
    expect(r.histogram).toEqual({ edges: [-1, 0, 1], counts: [1, 1], underflow: 2, overflow: 1 });
    expect(r.finite).toBe(false);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('computes the signal-to-noise ratio from micro-batches', () => {
    const before = tf.memory().numTensors;
    const m = new GradientMonitor({ histogram: false });
    const r = tidyValue(() =>
      m.record({
        grads: { a: tf.tensor1d([2, 1]) },
        microBatchGrads: [{ a: tf.tensor1d([1, 1]) }, { a: tf.tensor1d([3, 1]) }],
      }),
    );
    // ḡ = (2, 1): ‖ḡ‖² = 5; Σ‖gᵢ − ḡ‖² = 2, /(k − 1) = 2 → SNR 2.5.
    expect(r.snr).toBeCloseTo(2.5, 6);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reads an all-zero micro-batch SNR as null (0/0), and identical micro-batches as Infinity', () => {
    const before = tf.memory().numTensors;
    const m = new GradientMonitor({ histogram: false });
    const zero = tidyValue(() =>
      m.record({
        grads: { a: tf.zeros([3]) },
        microBatchGrads: [{ a: tf.zeros([3]) }, { a: tf.zeros([3]) }],
      }),
    );
    expect(zero.snr).toBeNull();
    const same = tidyValue(() =>
      m.record({
        grads: { a: tf.tensor1d([1, 2, 0]) },
        microBatchGrads: [{ a: tf.tensor1d([1, 2, 0]) }, { a: tf.tensor1d([1, 2, 0]) }],
      }),
    );
    // ‖ḡ‖² = 5, tr Σ̂ = 0: all signal.
    expect(same.snr).toBe(Number.POSITIVE_INFINITY);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps a bounded ring buffer and exports JSON lines', () => {
    const m = new GradientMonitor({ capacity: 5, histogram: false });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 12; i++)
      tidyValue(() => m.record({ loss: i === 3 ? Number.NaN : i, grads: { w: tf.tensor1d([i, 1]) } }));
    expect(m.size).toBe(5);
    // Steps count from 1: loop index i is step i + 1.
    expect(m.history().map((r) => r.step)).toEqual([8, 9, 10, 11, 12]);
    const lines = m.toJSONLines().trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed[0].step).toBe(8);
    expect(parsed[0].globalNorm).toBeCloseTo(Math.hypot(7, 1), 5);
    m.clear();
    expect(m.size).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects weights that do not match the gradients', () => {
    const m = new GradientMonitor();
    tf.tidy(() => {
      expect(() => m.record({ grads: { w: tf.zeros([2]) }, params: { v: tf.zeros([2]) } })).toThrow(
        /GradientMonitor.record: input.params must have every name of grads, got none for "w"/,
      );
      expect(() => m.record({ grads: { w: tf.zeros([2]) }, params: { w: tf.zeros([3]) } })).toThrow(
        /input.params\["w"\] must have the gradient's shape \[2\], got \[3\]/,
      );
      expect(() => new GradientMonitor({ capacity: 0 })).toThrow(
        /GradientMonitor: options.capacity must be an integer ≥ 1, got 0/,
      );
    });
    m.dispose();
  });

  const trainMonitored = (steps: number) => {
    const model = tinyMLP({ sizes: [4, 8, 2], seed: 5 });
    const x = randomMatrix(16, 4, 1);
    const y = randomMatrix(16, 2, 2);
    const params = model.parameters();
    const named = Object.fromEntries(params.map((p) => [p.name, p.variable]));
    const monitor = new GradientMonitor({ capacity: 50, histogram: { every: 7 } });
    const opt = tf.train.sgd(0.05);
    const step = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.losses.meanSquaredError(y, model.apply(x)) as tf.Scalar,
          params.map((p) => p.variable),
        );
        const byName = Object.fromEntries(params.map((p) => [p.name, grads[p.variable.name] as tf.Tensor]));
        monitor.record({ loss: value, grads: byName, params: named });
        opt.applyGradients(grads);
      });
    step(); // the monitor now holds the previous step's gradient and weights
    const start = tf.memory().numTensors;
    const heapStart = process.memoryUsage().heapUsed;
    for (let i = 1; i < steps; i++) step();
    const end = tf.memory().numTensors;
    expect(end).toBe(start);
    expect(monitor.size).toBe(50);
    expect(monitor.latest()!.step).toBe(steps);
    // The loss went down: the monitor did not disturb training.
    const losses = monitor.history().map((r) => r.loss as number);
    expect(losses[losses.length - 1]!).toBeLessThan(monitor.history()[0]!.loss as number);
    const heapGrowth = process.memoryUsage().heapUsed - heapStart;
    monitor.dispose();
    opt.dispose();
    model.dispose();
    tf.dispose([x, y]);
    return heapGrowth;
  };

  it('1,000 monitored steps leave numTensors unchanged and the buffer bounded', () => {
    const growth = trainMonitored(1000);
    // Bounded: 50 records of a 4-parameter model are a few tens of kB; allow GC slack.
    expect(growth).toBeLessThan(64 * 1024 * 1024);
  });

  it('[slow] 10,000 monitored steps leave numTensors unchanged and the buffer bounded', () => {
    const growth = trainMonitored(10_000);
    expect(growth).toBeLessThan(64 * 1024 * 1024);
  });
});
