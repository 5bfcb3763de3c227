import { describe, expect, it } from 'vitest';
import type { Finding } from '../finding.js';
import { defaultThresholds } from '../health.js';
import type { StepRecord } from '../step-record.js';
import { diagnoseHistory, diagnoseReport, HEALTH_RULES } from './index.js';
import type { FlowEvidence } from './rule.js';

// Plain-number evidence (no tensors): a report and a history built by hand, each showing one
// kind of trouble that both paths can see.

const stats = { mean: 0, std: 1, min: -1, max: 1, zeroFraction: 0, deadUnitFraction: 0 };

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
      ].sort(),
    );
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
    );
    const fromHistory = diagnoseHistory(
      [
        record(1, { loss: Number.NaN, globalNorm: 1e-9, parameters: [param('w', 1e-9, 0.75)] }),
        record(2, { globalNorm: 1e-9, parameters: [param('w', 1e-9, 0.75)] }),
      ],
      t,
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
    );
    expect(fs.map((f) => [f.severity, f.kind])).toEqual([
      ['error', 'exploding'],
      ['warning', 'dead-units'],
      ['warning', 'disconnected'],
      ['info', 'update-ratio'],
    ]);
  });
});
