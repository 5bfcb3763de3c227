import { describe, expect, it } from 'vitest';
import type { Finding } from '../finding.js';
import { defaultThresholds } from '../health.js';
import type { StepRecord } from '../step-record.js';
import { diagnoseHistory, diagnoseReport, HEALTH_RULES } from './index.js';
import type { FlowEvidence } from './rule.js';

// Plain-number evidence (no tensors): a report and a history built by hand, each showing one
// kind of trouble that both paths can see.

// Unbounded activations with exact zeros (ReLU-like): the cause of a vanishing flow is unknown.
const stats = { mean: 0.5, std: 1, min: 0, max: 3, zeroFraction: 0.4, deadUnitFraction: 0 };
// Bounded, never exactly zero (sigmoid/tanh-like): saturating activations.
const saturating = { mean: 0.5, std: 0.2, min: 0.1, max: 0.9, zeroFraction: 0, deadUnitFraction: 0 };
const known = { learningRateKnown: true };

function report(over: Partial<FlowEvidence>): FlowEvidence {
  return {
    schemaVersion: 2,
    model: 'm',
    loss: 1,
    learningRate: 1e-3,
    taps: [],
    parameters: [],
    globalNorm: 1,
    ...over,
  };
}

function record(step: number, over: Partial<StepRecord>): StepRecord {
  return {
    step,
    time: 0,
    loss: 1,
    globalNorm: 1,
    cosine: null,
    parameters: [],
    finite: true,
    ...over,
  } as StepRecord;
}

const param = (name: string, gradNorm: number | null, deadUnitFraction?: number) => ({
  name,
  gradNorm,
  weightNorm: 1,
  ratio: gradNorm,
  updateRatio: 1e-3,
  ...(deadUnitFraction !== undefined ? { deadUnitFraction } : {}),
});

const t = defaultThresholds;

describe('health rules', () => {
  it('one rule per kind, each listed once', () => {
    const kinds = HEALTH_RULES.map((r) => r.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    expect([...kinds].sort()).toEqual(
      [
        'dead-units',
        'disconnected',
        'exploding',
        'non-finite',
        'unstable',
        'update-ratio',
        'vanishing',
        'noisy-gradient',
      ].sort(),
    );
  });

  it('noisy gradient: the median measured SNR of a history below 1, over at least 3 measured steps', () => {
    const noisy = (snrs: readonly (number | undefined)[]) =>
      diagnoseHistory(
        snrs.map((snr, i) => record(i + 1, snr === undefined ? {} : { snr })),
        t,
        known,
      ).filter((f) => f.kind === 'noisy-gradient');
    // NaN (0/0: every micro-batch gradient zero) is no reading; the median of the other four,
    // sorted 0.2, 0.4, 0.5, 3, is (0.4 + 0.5)/2 = 0.45; the first low step is step 2.
    const [f] = noisy([undefined, 0.2, 0.5, 3, 0.4, Number.NaN]);
    expect(f?.severity).toBe('info');
    expect(f?.step).toBe(2);
    expect(f?.evidence).toEqual({ medianSnr: 0.45, steps: 4, of: 6, threshold: 1 });
    expect(f?.message).toMatch(/median gradient signal-to-noise ratio .* over 4 measured steps is 0\.45/);
    expect(f?.remedy).toMatch(/larger batches/);
    expect(noisy([2, 0.5, 3])).toEqual([]); // median 2
    expect(noisy([Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, 0.1])).toEqual([]); // no noise: +∞
    expect(noisy([0.1, 0.2])).toEqual([]); // two readings are no trend
    expect(noisy([undefined, undefined, undefined])).toEqual([]); // never measured
  });

  it('a kind seen by measureGradientFlow and by checkHealth carries the same remedy text', () => {
    const fromReport = diagnoseReport(
      report({
        loss: Number.NaN,
        globalNorm: 1e-9,
        taps: [
          {
            name: 'a',
            shape: [2, 4],
            gradNorm: 1e-12,
            ratioToLast: 1e-12,
            activation: { ...stats, deadUnitFraction: 0.75 },
          },
          { name: 'b', shape: [2, 4], gradNorm: 1, ratioToLast: 1, activation: stats },
        ],
        parameters: [
          { ...param('w', 1e-9), role: 'kernel', shape: [4, 4] } as FlowEvidence['parameters'][number],
        ],
      }),
      t,
      known,
    );
    const fromHistory = diagnoseHistory(
      [
        record(1, { loss: Number.NaN, globalNorm: 1e-9, parameters: [param('w', 1e-9, 0.75)] }),
        record(2, { globalNorm: 1e-9, parameters: [param('w', 1e-9, 0.75)] }),
      ],
      t,
      known,
    );
    const remedy = (fs: Finding[], kind: string) => fs.find((f) => f.kind === kind)?.remedy;
    for (const kind of ['non-finite', 'vanishing', 'dead-units']) {
      expect(remedy(fromReport, kind)).toBeDefined();
      expect(remedy(fromReport, kind)).toBe(remedy(fromHistory, kind));
    }
  });

  it('findings are sorted errors, warnings, information; stable within a severity', () => {
    const fs = diagnoseReport(
      report({
        globalNorm: 5e3,
        taps: [
          {
            name: 'a',
            shape: [2, 4],
            gradNorm: 1,
            ratioToLast: 1,
            activation: { ...stats, deadUnitFraction: 1 },
          },
        ],
        parameters: [
          { ...param('u', null), role: 'bias', shape: [4] } as FlowEvidence['parameters'][number],
          {
            ...param('v', 1),
            updateRatio: 0.5,
            role: 'kernel',
            shape: [4, 4],
          } as FlowEvidence['parameters'][number],
        ],
      }),
      t,
      known,
    );
    expect(fs.map((f) => [f.severity, f.kind])).toEqual([
      ['error', 'exploding'],
      ['warning', 'dead-units'],
      ['warning', 'disconnected'],
      ['info', 'update-ratio'],
    ]);
  });

  it('vanishing through saturating activations: a remedy that changes the activation, not the initialization', () => {
    const taps = (activation: typeof stats) => [
      { name: 'a', shape: [2, 4], gradNorm: 1e-9, ratioToLast: 1e-9, activation },
      { name: 'b', shape: [2, 4], gradNorm: 1, ratioToLast: 1, activation },
    ];
    const sat = diagnoseReport(report({ taps: taps(saturating) }), t, known)[0]!;
    const relu = diagnoseReport(report({ taps: taps(stats) }), t, known)[0]!;
    expect([sat.kind, relu.kind]).toEqual(['vanishing', 'vanishing']);
    expect(sat.remedy).toMatch(/^change the activation/);
    expect(sat.message).toMatch(/saturating sigmoid\/tanh/);
    expect(relu.remedy).toMatch(/He initialization/);
  });

  it('a large global norm that does not grow along the network is a warning, a growing one an error', () => {
    const flat = [
      { name: 'a', shape: [2], gradNorm: 2000, ratioToLast: 1, activation: stats },
      { name: 'b', shape: [2], gradNorm: 2000, ratioToLast: 1, activation: stats },
    ];
    const balanced = diagnoseReport(report({ globalNorm: 5e3, taps: flat }), t, known);
    expect(balanced.map((f) => [f.severity, f.kind])).toEqual([['warning', 'exploding']]);
    expect(balanced[0]!.remedy).toMatch(/loss and output scale/);
    const growing = [{ ...flat[0]!, gradNorm: 2e8, ratioToLast: 1e5 }, flat[1]!];
    const g = diagnoseReport(report({ globalNorm: 5e3, taps: growing }), t, known);
    expect(g.map((f) => [f.severity, f.kind])).toEqual([
      ['error', 'exploding'],
      ['error', 'exploding'],
    ]);
  });

  it('update ratios from a report only when its learning rate was given; grouped worst first', () => {
    const params = [0.5, 1e-6, 0.05, 1e-8, 1e-3].map(
      (u, i) =>
        ({
          ...param(`p${i}`, 1),
          updateRatio: u,
          role: 'kernel',
          shape: [2],
        }) as FlowEvidence['parameters'][number],
    );
    expect(diagnoseReport(report({ parameters: params }), t, { learningRateKnown: false })).toEqual([]);
    const fs = diagnoseReport(report({ parameters: params }), t, known);
    expect(fs.map((f) => f.subjects)).toEqual([
      ['p3', 'p1'],
      ['p0', 'p2'],
    ]);
    expect(fs[0]!.message).toMatch(
      /2 of 5 parameters by below 1e-4 of their norm, outside the healthy band \[1e-4, 0\.01\]: p3 \(1e-8\), p1 \(1e-6\)$/,
    );
  });
});
