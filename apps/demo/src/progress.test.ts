import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { estimateSecondsLeft, formatDuration, startProgress } from './progress.js';

describe('formatDuration', () => {
  it('rounds before splitting, so the carry goes into the larger unit', () => {
    // By hand: 59.6 s rounds to 60 s = 1 min 0 s; 119.7 s → 120 s = 2 min; 3599.5 s → 3600 s,
    // which is shown in hours and minutes: 60 min = 1 h 0 min.
    expect(formatDuration(59.6)).toBe('1m00s');
    expect(formatDuration(119.7)).toBe('2m00s');
    expect(formatDuration(3599.5)).toBe('1h00m');
  });

  it('formats seconds, minutes and hours on both sides of each boundary', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(0.4)).toBe('0s');
    expect(formatDuration(59.4)).toBe('59s');
    expect(formatDuration(60)).toBe('1m00s');
    expect(formatDuration(61)).toBe('1m01s');
    expect(formatDuration(119.4)).toBe('1m59s');
    expect(formatDuration(754)).toBe('12m34s'); // 12·60 + 34
    expect(formatDuration(3599.4)).toBe('59m59s');
    expect(formatDuration(3600)).toBe('1h00m');
    // 3 h 7 min 29 s rounds down to 3 h 7 min; 3 h 59 min 30 s carries into 4 h.
    expect(formatDuration(3 * 3600 + 7 * 60 + 29)).toBe('3h07m');
    expect(formatDuration(3 * 3600 + 59 * 60 + 30)).toBe('4h00m');
    expect(formatDuration(100 * 3600)).toBe('100h00m');
  });

  it('says "unknown" for a missing, non-finite or negative duration, never placeholder text', () => {
    for (const v of [null, undefined, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1]) {
      expect(formatDuration(v)).toBe('unknown');
    }
  });
});

describe('estimateSecondsLeft', () => {
  it('is the mean rate since the start times what is left, unknown before the first step', () => {
    expect(estimateSecondsLeft(10, 0, 5)).toBeNull();
    expect(estimateSecondsLeft(10, 2, 5)).toBe(15); // 10 s for 2 steps → 5 s per step × 3 left
    expect(estimateSecondsLeft(10, 5, 5)).toBe(0);
    expect(estimateSecondsLeft(Number.NaN, 2, 5)).toBeNull();
  });
});

describe('startProgress', () => {
  it('draws "ETA unknown" before the first step and a real time after, with no cli-progress placeholder', () => {
    let text = '';
    const stream = new Writable({
      write(chunk, _enc, done) {
        text += chunk.toString();
        done();
      },
    });
    const bar = startProgress(4, { label: 'test', stream });
    bar.tick(4, 'last');
    bar.stop();
    expect(text).toMatch(/test .* 0% \| 0\/4 \| elapsed 0s \| ETA unknown \| starting/);
    expect(text).toMatch(/100% \| 4\/4 \| elapsed \d+s \| ETA 0s \| last/);
    expect(text).not.toMatch(/NULL|INF|LLs|NFs/);
  });
});
