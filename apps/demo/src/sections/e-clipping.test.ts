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
        step: 0,
        reason: 'exploding',
        actions: ['skip', 'lower-lr', 'clip'],
        loss: 100,
        globalNorm: 2200,
        learningRate: 0.025,
        clipNorm: 1,
      },
      {
        step: 7,
        reason: 'non-finite',
        actions: ['skip', 'restore', 'lower-lr'],
        loss: Number.NaN,
        globalNorm: Number.NaN,
        learningRate: 0.0125,
        restoredStep: 5,
      },
    ];
    expect(describeGuard(events, 0.05)).toBe(
      'undid 2 steps (exploding and non-finite), restored the last good weights, lowered the learning rate from 0.05 to 0.0125, switched clipping on at global norm 1; first at step 0',
    );
    expect(describeGuard([], 0.05)).toBe('the guard never stepped in');
  });
});
