import type { GuardEvent } from '@gflow/diagnostics';
import { describe, expect, it } from 'vitest';
import { BASELINE_LOSS, describeGuard } from './e-clipping.js';

describe('section e helpers', () => {
  it('the trivial baseline is Var(a + b) for two U(0, 1) draws: 2 × 1/12', () => {
    expect(BASELINE_LOSS).toBe(2 / 12);
  });

  it('says what the guard changed, from its events: steps undone, learning rate, clipping', () => {
    const events: GuardEvent[] = [
      {
        step: 1,
        reason: 'exploding',
        actions: ['skip', 'lower-lr', 'clip'],
        changes: [
          { what: 'state', from: 1, to: 0 },
          { what: 'learningRate', from: 0.05, to: 0.025 },
          { what: 'clipNorm', from: null, to: 1 },
        ],
        loss: 100,
        globalNorm: 2200,
        restoredStep: 0,
        learningRate: 0.025,
        clipNorm: 1,
      },
      {
        step: 8,
        reason: 'non-finite',
        actions: ['skip', 'restore', 'lower-lr'],
        changes: [
          { what: 'state', from: 8, to: 5 },
          { what: 'learningRate', from: 0.025, to: 0.0125 },
        ],
        loss: Number.NaN,
        globalNorm: Number.NaN,
        restoredStep: 5,
        learningRate: 0.0125,
      },
    ];
    expect(describeGuard(events, 0.05)).toBe(
      'undid 2 steps (exploding and non-finite), restored the last good weights, lowered the learning rate from 0.05 to 0.0125, switched clipping on at global norm 1; first at step 1',
    );
    expect(describeGuard([], 0.05)).toBe('the guard never stepped in');
  });
});
