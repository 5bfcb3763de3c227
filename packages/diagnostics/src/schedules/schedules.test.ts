import { InvalidArgumentError } from '@gflow/core';
import { describe, expect, it } from 'vitest';
import { exponentialDecay } from './exponential-decay.js';
import { joinSchedules } from './join-schedules.js';
import { piecewiseConstant } from './piecewise-constant.js';
import { constantSchedule } from './schedule.js';
import { warmupCosine } from './warmup-cosine.js';
import { warmupLinear } from './warmup-linear.js';

// Every expected value is hand-computed from the schedule's formula (in the comments); the
// schedules are float64 host arithmetic, so the tolerance is a few ulps.
const ulps = (x: number) => 4 * Number.EPSILON * Math.max(Math.abs(x), Number.MIN_VALUE);

describe('constantSchedule', () => {
  it('returns its value at every step', () => {
    const s = constantSchedule(0.25);
    expect([0, 1, 7, 1e9].map(s)).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(constantSchedule(0)(3)).toBe(0);
  });
  it('rejects a bad value or step', () => {
    expect(() => constantSchedule(-1)).toThrow(InvalidArgumentError);
    expect(() => constantSchedule(Number.NaN)).toThrow(
      /constantSchedule: value must be a finite number ≥ 0, got NaN/,
    );
    expect(() => constantSchedule(Number.POSITIVE_INFINITY)).toThrow(InvalidArgumentError);
    const s = constantSchedule(1);
    expect(() => s(-1)).toThrow(/constantSchedule: step must be an integer ≥ 0, got -1/);
    expect(() => s(0.5)).toThrow(InvalidArgumentError);
    expect(() => s(Number.NaN)).toThrow(InvalidArgumentError);
  });
});

describe('warmupCosine', () => {
  // init 0.1, peak 1, W = 4, T = 12, end 0.2.
  const s = warmupCosine({ init: 0.1, peak: 1, warmupSteps: 4, totalSteps: 12, end: 0.2 });
  it('warms up linearly from init to peak', () => {
    // η_t = 0.1 + 0.9·t/4.
    expect(s(0)).toBe(0.1);
    expect(s(1)).toBeCloseTo(0.325, 15);
    expect(s(2)).toBeCloseTo(0.55, 15);
    expect(s(3)).toBeCloseTo(0.775, 15);
  });
  it('reaches the peak at W, decays by a half cosine to end at T, and stays there', () => {
    expect(s(4)).toBe(1);
    // t = 6: (t − W)/(T − W) = 1/4, ½(1 + cos(π/4)) = ½ + √2/4; η = 0.2 + 0.8·(½ + √2/4).
    expect(Math.abs(s(6) - (0.2 + 0.8 * (0.5 + Math.SQRT2 / 4)))).toBeLessThanOrEqual(ulps(1));
    // t = 8: half way, cos(π/2) = 0: η = 0.2 + 0.8·½ = 0.6.
    expect(Math.abs(s(8) - 0.6)).toBeLessThanOrEqual(ulps(1));
    // t = 10: cos(3π/4) = −√2/2: η = 0.2 + 0.8·(½ − √2/4).
    expect(Math.abs(s(10) - (0.2 + 0.8 * (0.5 - Math.SQRT2 / 4)))).toBeLessThanOrEqual(ulps(1));
    expect(s(12)).toBe(0.2);
    expect(s(1000)).toBe(0.2);
  });
  it('defaults init and end to 0, and with no warmup starts at the peak', () => {
    const d = warmupCosine({ peak: 2, warmupSteps: 2, totalSteps: 4 });
    // 0, 1, 2, then t = 3: ½(1 + cos(π/2)) · 2 = 1, then 0.
    expect(d(0)).toBe(0);
    expect(d(1)).toBe(1);
    expect(d(2)).toBe(2);
    expect(Math.abs(d(3) - 1)).toBeLessThanOrEqual(ulps(1));
    expect(d(4)).toBe(0);
    const n = warmupCosine({ peak: 3, warmupSteps: 0, totalSteps: 2 });
    // t = 1: ½(1 + cos(π/2))·3 = 1.5.
    expect(n(0)).toBe(3);
    expect(Math.abs(n(1) - 1.5)).toBeLessThanOrEqual(ulps(1.5));
  });
  it('rejects bad options', () => {
    expect(() => warmupCosine({ peak: 1, warmupSteps: 5, totalSteps: 5 })).toThrow(
      /warmupCosine: options.totalSteps must be > options.warmupSteps \(5\), got 5/,
    );
    expect(() => warmupCosine({ peak: -1, warmupSteps: 1, totalSteps: 5 })).toThrow(
      /warmupCosine: options.peak must be a finite number ≥ 0, got -1/,
    );
    expect(() => warmupCosine({ peak: 1, warmupSteps: 1.5, totalSteps: 5 })).toThrow(
      /options.warmupSteps must be an integer ≥ 0, got 1.5/,
    );
    expect(() => warmupCosine({ peak: 1, warmupSteps: 1, totalSteps: 5, end: Number.NaN })).toThrow(
      /options.end must be a finite number ≥ 0/,
    );
    expect(() => warmupCosine(null as never)).toThrow(/warmupCosine: options must be an object, got null/);
    expect(() => warmupCosine({ peak: 1, warmupSteps: 1, totalSteps: 5 })(-2)).toThrow(
      /warmupCosine: step must be an integer ≥ 0, got -2/,
    );
  });
});

describe('warmupLinear', () => {
  // init 0, peak 1, W = 4, T = 14, end 0.5.
  const s = warmupLinear({ peak: 1, warmupSteps: 4, totalSteps: 14, end: 0.5 });
  it('is linear up to the peak and linear down to the end', () => {
    expect(s(0)).toBe(0);
    expect(s(1)).toBe(0.25);
    expect(s(3)).toBe(0.75);
    expect(s(4)).toBe(1);
    // t = 9: 1 + (0.5 − 1)·5/10 = 0.75; t = 13: 1 − 0.5·9/10 = 0.55.
    expect(s(9)).toBe(0.75);
    expect(Math.abs(s(13) - 0.55)).toBeLessThanOrEqual(ulps(1));
    expect(s(14)).toBe(0.5);
    expect(s(99)).toBe(0.5);
  });
  it('rejects bad options', () => {
    expect(() => warmupLinear({ peak: 1, warmupSteps: 3, totalSteps: 2 })).toThrow(
      /warmupLinear: options.totalSteps must be > options.warmupSteps \(3\), got 2/,
    );
    expect(() => warmupLinear({ peak: 1, warmupSteps: 1, totalSteps: 3 })(1.5)).toThrow(InvalidArgumentError);
  });
});

describe('exponentialDecay', () => {
  it('decays continuously: η_0·r^{t/K}', () => {
    const s = exponentialDecay({ init: 0.1, decayRate: 0.5, transitionSteps: 100 });
    expect(s(0)).toBe(0.1);
    expect(s(100)).toBe(0.05);
    expect(s(200)).toBe(0.025);
    // t = 150: 0.1·0.5^1.5 = 0.1/(2√2).
    expect(Math.abs(s(150) - 0.1 / (2 * Math.SQRT2))).toBeLessThanOrEqual(ulps(0.1));
    // t = 50: 0.1·√½.
    expect(Math.abs(s(50) - 0.1 * Math.SQRT1_2)).toBeLessThanOrEqual(ulps(0.1));
  });
  it('with staircase, decays in whole stages; starts at transitionBegin; floors at end', () => {
    const s = exponentialDecay({
      init: 1,
      decayRate: 0.1,
      transitionSteps: 10,
      transitionBegin: 5,
      staircase: true,
      end: 0.005,
    });
    // Before and at t₀ = 5: 1. Then ⌊(t − 5)/10⌋ stages of ×0.1, never below 0.005.
    expect(s(0)).toBe(1);
    expect(s(5)).toBe(1);
    expect(s(14)).toBe(1);
    expect(s(15)).toBeCloseTo(0.1, 15);
    expect(s(24)).toBeCloseTo(0.1, 15);
    expect(s(25)).toBeCloseTo(0.01, 15);
    expect(s(35)).toBe(0.005); // 0.001 floored to 0.005
  });
  it('grows when r > 1, with end as a ceiling', () => {
    const s = exponentialDecay({ init: 1, decayRate: 2, transitionSteps: 1, end: 5 });
    expect([0, 1, 2, 3].map(s)).toEqual([1, 2, 4, 5]);
  });
  it('rejects bad options', () => {
    expect(() => exponentialDecay({ init: 1, decayRate: 0, transitionSteps: 1 })).toThrow(
      /exponentialDecay: options.decayRate must be a finite number > 0, got 0/,
    );
    expect(() => exponentialDecay({ init: 1, decayRate: 0.5, transitionSteps: 0 })).toThrow(
      /options.transitionSteps must be an integer ≥ 1, got 0/,
    );
    expect(() => exponentialDecay({ init: 1, decayRate: 0.5, transitionSteps: 1, end: 2 })).toThrow(
      /options.end must be ≤ options.init \(1\) when decayRate is 0.5, got 2/,
    );
    expect(() =>
      exponentialDecay({ init: 1, decayRate: 0.5, transitionSteps: 1, staircase: 'yes' as never }),
    ).toThrow(/options.staircase must be a boolean/);
  });
});

describe('piecewiseConstant', () => {
  it('multiplies by each scale from its boundary on', () => {
    const s = piecewiseConstant(0.1, [
      [10, 0.5],
      [20, 0.1],
    ]);
    expect(s(0)).toBe(0.1);
    expect(s(9)).toBe(0.1);
    expect(s(10)).toBe(0.05);
    expect(s(19)).toBe(0.05);
    // 0.1·0.5·0.1 = 0.005.
    expect(Math.abs(s(20) - 0.005)).toBeLessThanOrEqual(ulps(0.005));
    expect(s(1e6)).toBe(s(20));
    expect(piecewiseConstant(2, [])(5)).toBe(2);
  });
  it('rejects bad boundaries', () => {
    expect(() =>
      piecewiseConstant(1, [
        [10, 0.5],
        [10, 0.5],
      ]),
    ).toThrow(/piecewiseConstant: boundaries must be strictly increasing, got step 10 after 10/);
    expect(() => piecewiseConstant(1, [[0, 0.5]])).toThrow(
      /boundaries\[0\]\[0\] must be an integer ≥ 1, got 0/,
    );
    expect(() => piecewiseConstant(1, [[5, -1]])).toThrow(
      /boundaries\[0\]\[1\] must be a finite number ≥ 0, got -1/,
    );
    expect(() => piecewiseConstant(1, [[5] as never])).toThrow(
      /boundaries\[0\] must be a \[step, scale\] pair/,
    );
    expect(() => piecewiseConstant(1, {} as never)).toThrow(/boundaries must be an array/);
  });
});

describe('joinSchedules', () => {
  it('runs each schedule from its boundary with its step counted from there', () => {
    // Constant 0.5 for t < 3, then warmupLinear(peak 1, W 2, T 4) from t = 3: its step t − 3.
    const s = joinSchedules(
      [constantSchedule(0.5), warmupLinear({ peak: 1, warmupSteps: 2, totalSteps: 4 }), constantSchedule(7)],
      [3, 10],
    );
    expect([0, 1, 2].map(s)).toEqual([0.5, 0.5, 0.5]);
    // Steps 3..9 are the warmup-linear's 0..6: 0, 0.5, 1, 0.5, 0, 0, 0.
    expect([3, 4, 5, 6, 7, 8, 9].map(s)).toEqual([0, 0.5, 1, 0.5, 0, 0, 0]);
    expect(s(10)).toBe(7);
    expect(s(500)).toBe(7);
  });
  it('rejects mismatched or unordered boundaries, non-functions, and bad values from a part', () => {
    const c = constantSchedule(1);
    expect(() => joinSchedules([c, c], [])).toThrow(
      /joinSchedules: boundaries must be an array of 1 steps \(one fewer than the schedules\), got \[\]/,
    );
    expect(() => joinSchedules([c, c, c], [5, 5])).toThrow(/strictly increasing, got 5 after 5/);
    expect(() => joinSchedules([], [])).toThrow(/schedules must be a non-empty array/);
    expect(() => joinSchedules([c, 3 as never], [1])).toThrow(
      /joinSchedules: schedules\[1\] must be a schedule \(a function step → rate\), got 3/,
    );
    const bad = joinSchedules([c, () => Number.NaN], [2]);
    expect(bad(1)).toBe(1);
    expect(() => bad(2)).toThrow(
      /joinSchedules: schedules\[1\] must return a finite rate ≥ 0, got NaN at its step 0/,
    );
  });
});
