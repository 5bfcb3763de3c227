import type { StepRecord } from '@gflow/diagnostics';
import { describe, expect, it } from 'vitest';
import { recordRows } from './rows.js';

const base: StepRecord = {
  step: 7,
  time: 0,
  loss: 0.5,
  globalNorm: 100,
  cosine: null,
  parameters: [
    { name: 'w', gradNorm: 1e-3, weightNorm: 2, ratio: 5e-4, updateRatio: 2e-3 },
    { name: 'b', gradNorm: 0, weightNorm: 0, ratio: null, updateRatio: null },
  ],
  taps: [
    { name: 'h0', gradNorm: 10 },
    { name: 'h1', gradNorm: null },
  ],
  finite: true,
};

describe('recordRows', () => {
  it('turns a record into rows: log10 norms by hand, zero and null norms left out', () => {
    const rows = recordRows('a', base, { lastHist: -1 });
    expect(rows.scalars).toEqual([
      { run: 'a', step: 7, metric: 'loss', value: 0.5 },
      { run: 'a', step: 7, metric: 'norm', value: 100 },
    ]);
    // log10(10) = 1; h1 has no gradient
    expect(rows.taps).toEqual([{ run: 'a', step: 7, step2: 8, layer: 'h0', index: 0, value: 1, norm: 10 }]);
    // log10(1e-3) = -3; b's norm 0 cannot go on a log scale
    expect(rows.params).toHaveLength(1);
    expect(rows.params[0]?.value).toBeCloseTo(-3, 14);
    expect(rows.updates).toEqual([{ run: 'a', step: 7, param: 'w', value: 2e-3 }]);
    expect(rows.events).toEqual([]);
    expect(rows.hist).toEqual([]);
  });

  it('reads the learning rate and clip, guard and non-finite events from the record', () => {
    const r: StepRecord = {
      ...base,
      loss: Number.NaN,
      finite: false,
      info: { 'schedule.learningRate': 0.01, 'clipByGlobalNorm.scale': 0.25 },
      guard: { action: 'skip', reason: 'non-finite' },
    };
    const rows = recordRows('a', r, { lastHist: -1 });
    // NaN loss is not drawn as a point; the step is an event instead
    expect(rows.scalars.map((x) => x.metric)).toEqual(['norm', 'lr']);
    expect(rows.scalars[1]?.value).toBe(0.01);
    expect(rows.events.map((x) => x.kind)).toEqual(['clip', 'guard', 'non-finite']);
    expect(rows.events[0]?.detail).toBe('clipByGlobalNorm scale 0.25');
    expect(rows.events[1]?.detail).toBe('skip (non-finite)');
    const noClip = recordRows('a', { ...base, info: { 'clipByGlobalNorm.scale': 1 } }, { lastHist: -1 });
    expect(noClip.events).toEqual([]);
  });

  it('spreads a histogram recorded every n steps over the steps since the previous one', () => {
    const state = { lastHist: -1 };
    const h = { edges: [-3, -2, -1], counts: [1, 3], underflow: 4, overflow: 0 };
    const first = recordRows('a', { ...base, step: 0, histogram: h }, state);
    // fractions of all 8 entries, underflow included: 1/8, 3/8
    expect(first.hist).toEqual([
      { run: 'a', step: 0, step2: 1, lo: -3, hi: -2, frac: 0.125 },
      { run: 'a', step: 0, step2: 1, lo: -2, hi: -1, frac: 0.375 },
    ]);
    const next = recordRows('a', { ...base, step: 5, histogram: h }, state);
    expect(next.hist.map((x) => [x.step, x.step2])).toEqual([
      [1, 6],
      [1, 6],
    ]);
    expect(state.lastHist).toBe(5);
  });
});
