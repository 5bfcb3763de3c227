import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { GradientMonitor } from './gradient-monitor.js';
import { checkHealth, defaultThresholds } from './health.js';
import type { ParameterRecord, StepRecord } from './step-record.js';

function param(name: string, p: Partial<ParameterRecord> = {}): ParameterRecord {
  return { name, gradNorm: 0.01, weightNorm: 1, ratio: 0.01, updateRatio: 1e-3, ...p };
}

function record(step: number, globalNorm: number, extra: Partial<StepRecord> = {}): StepRecord {
  return {
    step,
    time: 0,
    loss: 1,
    globalNorm,
    cosine: null,
    parameters: [param('w')],
    finite: true,
    ...extra,
  };
}

const kinds = (fs: { kind: string }[]) => fs.map((f) => f.kind).sort();

describe('checkHealth', () => {
  it('finds nothing in a healthy history', () => {
    const h = Array.from({ length: 50 }, (_, i) => record(i, 1 + 0.1 * Math.sin(i)));
    expect(checkHealth(h)).toEqual([]);
    expect(checkHealth([])).toEqual([]);
  });

  it('finds vanishing and exploding norms, absolute and relative', () => {
    const vanish = checkHealth([record(0, 1e-9), record(1, 2e-9)]);
    expect(kinds(vanish)).toEqual(['vanishing']);
    expect(vanish[0]!.severity).toBe('error');
    expect(vanish[0]!.evidence.smallest).toBe(1e-9);
    const explode = checkHealth([record(0, 1), record(1, 1.2), record(2, 50), record(3, 5e3)]);
    // 1.2 → 50 is 41.7× (> 10×); 50 → 5000 is 100×; 5000 > 1e3.
    const abs = explode.find((f) => f.kind === 'exploding' && f.subject === undefined)!;
    expect(abs.evidence).toMatchObject({ steps: 1, firstStep: 3, largest: 5e3 });
    const spike = explode.find((f) => f.subject === 'spike')!;
    expect(spike.evidence.spikes).toBe(2);
    expect(spike.evidence.firstStep).toBe(2);
    expect(spike.evidence.worstFactor).toBeCloseTo(100, 9);
  });

  it('finds instability: variance over a window above the squared mean', () => {
    // Window (0.1, 0.1, 0.1, 10): mean 2.575, variance 25.0075 − 6.6306 = 18.38 > 6.63.
    const norms = Array.from({ length: 12 }, (_, i) => (i % 4 === 3 ? 10 : 0.1));
    const f = checkHealth(
      norms.map((n, i) => record(i, n)),
      { unstableWindow: 4, explodingFactor: 1000 },
    );
    expect(kinds(f)).toEqual(['unstable']);
    expect(f[0]!.evidence.windows).toBe(9); // every window of 4 contains one spike
    expect(f[0]!.evidence.worstRatio).toBeCloseTo(18.3769 / 6.630625, 3);
    // A steady series of the same mean is not unstable.
    expect(
      checkHealth(
        norms.map((_, i) => record(i, 2.575)),
        { unstableWindow: 4 },
      ),
    ).toEqual([]);
  });

  it('finds non-finite loss, gradients and weights', () => {
    const h = [
      record(0, 1),
      record(1, 1, { loss: Number.NaN, finite: false }),
      record(2, Number.POSITIVE_INFINITY, {
        parameters: [param('w', { gradNorm: Number.POSITIVE_INFINITY })],
        finite: false,
      }),
      record(3, 1, { parameters: [param('w', { weightNorm: Number.NaN })], finite: false }),
    ];
    const f = checkHealth(h).filter((x) => x.kind === 'non-finite');
    expect(f.map((x) => [x.subject, x.step])).toEqual([
      ['loss', 1],
      ['grads', 2],
      ['weights', 3],
    ]);
    expect(f.every((x) => x.severity === 'error')).toBe(true);
  });

  it('finds dead units, disconnected parameters and update ratios outside the band', () => {
    const h = Array.from({ length: 5 }, (_, i) =>
      record(i, 1, {
        parameters: [
          param('dead', { deadUnitFraction: 0.75 }),
          param('none', { gradNorm: null, ratio: null, updateRatio: null }),
          param('zero', { gradNorm: 0, ratio: 0, updateRatio: 0 }),
          param('slow', { updateRatio: 1e-6 }),
          param('fast', { updateRatio: 0.1 }),
          param('proxy', { updateRatio: null, ratio: 100 }), // 1e-3 × 100 = 0.1 > 1e-2
        ],
      }),
    );
    // Per-parameter trouble is one finding per kind (and side of the band), its cases worst first.
    const f = checkHealth(h, { learningRate: 1e-3 });
    const of = (kind: string) => f.filter((x) => x.kind === kind);
    expect(of('dead-units').map((x) => x.subjects)).toEqual([['dead']]);
    expect(of('disconnected').map((x) => x.subjects)).toEqual([['none', 'zero']]);
    expect(of('disconnected')[0]!.message).toMatch(
      /^disconnected: 2 of 6 parameters never got a non-zero gradient: none \(no gradient at all 5 steps\), zero \(an exactly zero gradient at all 5 steps\)$/,
    );
    const ratios = of('update-ratio');
    expect(ratios.map((x) => x.subjects)).toEqual([['slow'], ['fast', 'proxy']]);
    // proxy: learning rate 1e-3 × ‖g‖/‖θ‖ = 1e-3 × 100 = 0.1 > 1e-2, the same as fast's 0.1.
    expect(ratios[1]!.evidence.worstUpdateRatio).toBeCloseTo(0.1, 12);
    expect(ratios[1]!.message).toMatch(/\(1 estimated as learning rate 0\.001 × ‖g‖\/‖θ‖\)/);
    expect(ratios[0]!.remedy).toMatch(/raise the learning rate/);
    expect(ratios[1]!.remedy).toMatch(/lower the learning rate/);
    // Without a learning rate given, no ratio is estimated from the default: proxy is not reported.
    const unknown = checkHealth(h).filter((x) => x.kind === 'update-ratio');
    expect(unknown.map((x) => x.subjects)).toEqual([['slow'], ['fast']]);
  });

  it('finds a noisy gradient from a monitor given micro-batches: SNR 0.5 by hand at every step', async () => {
    await initBackend();
    const before = tf.memory().numTensors;
    const monitor = new GradientMonitor({ histogram: false });
    tf.tidy(() => {
      for (let i = 0; i < 3; i++) {
        // Micro-batch gradients [2, 0] and [0, 0]: ḡ = [1, 0], ‖ḡ‖² = 1; deviations ±[1, 0], whose
        // squares sum to 2, over k − 1 = 1: tr Σ̂ = 2, SNR = 1/2.
        const microBatchGrads = [{ w: tf.tensor1d([2, 0]) }, { w: tf.tensor1d([0, 0]) }];
        monitor.record({ grads: { w: tf.tensor1d([1, 0]) }, microBatchGrads });
      }
    });
    const findings = checkHealth(monitor.history()).filter((f) => f.kind === 'noisy-gradient');
    expect(findings).toHaveLength(1);
    expect(findings[0]?.evidence.medianSnr).toBeCloseTo(0.5, 12);
    expect(findings[0]?.step).toBe(1);
    monitor.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad thresholds and histories', () => {
    expect(() => checkHealth([], { vanishing: -1 })).toThrow(
      /checkHealth: thresholds.vanishing must be a finite number ≥ 0, got -1/,
    );
    expect(() => checkHealth([], { explodingFactor: 0 })).toThrow(/thresholds.explodingFactor/);
    expect(() => checkHealth([], { updateRatioBand: [1, 0.1] })).toThrow(/low ≤ high/);
    expect(() => checkHealth([], { unstableWindow: 1 })).toThrow(/unstableWindow must be an integer ≥ 2/);
    expect(() => checkHealth([{ step: 0 } as never])).toThrow(
      /checkHealth: history must be an array of StepRecord/,
    );
    expect(defaultThresholds.updateRatioBand).toEqual([1e-4, 1e-2]);
  });
});
