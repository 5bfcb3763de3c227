import { initBackend } from '@gflow/backend';
import { InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { addingProblem } from './adding-problem.js';
import { copyMemoryTask } from './copy-memory-task.js';
import { linearCurriculum } from './curriculum.js';

const argmax = (v: number[]): number => v.indexOf(1);

describe('linearCurriculum', () => {
  it('L(t) = L_min + ⌊min(t, S)·(L_max − L_min)/S⌋, by hand', () => {
    // start 10, end 20, S = 4: 10 + ⌊10t/4⌋ = 10, 12 (2.5), 15, 17 (7.5), 20, then held at 20
    const L = linearCurriculum({ start: 10, end: 20, steps: 4 });
    expect([0, 1, 2, 3, 4, 5, 1000].map((t) => L(t))).toEqual([10, 12, 15, 17, 20, 20, 20]);
    expect([0, 1, 2, 9].map(linearCurriculum({ start: 7, end: 7, steps: 3 }))).toEqual([7, 7, 7, 7]);
    expect([0, 1, 2].map(linearCurriculum({ start: 1, end: 5, steps: 1 }))).toEqual([1, 5, 5]);
    // 2^25 = 33,554,432; 33,554,431/3 = 11,184,810.33…, so L(1) = 1 + 11,184,810 (exact integers)
    expect(linearCurriculum({ start: 1, end: 2 ** 25, steps: 3 })(1)).toBe(11_184_811);
  });

  it('property: starts at L_min, reaches L_max at S, never decreases, within 1 below the straight line', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 0, max: 200_000 }),
        (start, extra, steps, t) => {
          const end = start + extra;
          const L = linearCurriculum({ start, end, steps });
          const line = start + (Math.min(t, steps) / steps) * (end - start);
          const v = L(t);
          return (
            L(0) === start &&
            L(steps) === end &&
            Number.isInteger(v) &&
            v <= line + 1e-9 &&
            v > line - 1 &&
            L(t + 1) >= v &&
            v >= start &&
            v <= end
          );
        },
      ),
      { seed: 17, numRuns: 500 },
    );
  });

  it('refuses bad options and steps with an InvalidArgumentError naming them', () => {
    expect(() => linearCurriculum({ start: 20, end: 10, steps: 4 })).toThrow(
      /linearCurriculum: options\.end must be ≥ options\.start \(the length grows\), got start 20 and end 10/,
    );
    expect(() => linearCurriculum({ start: 0, end: 10, steps: 4 })).toThrow(
      /linearCurriculum: options\.start must be a positive integer, got 0/,
    );
    expect(() => linearCurriculum({ start: 1, end: 10, steps: 0 })).toThrow(
      /linearCurriculum: options\.steps must be a positive integer, got 0/,
    );
    expect(() => linearCurriculum({ start: 1, end: 2.5, steps: 2 })).toThrow(InvalidArgumentError);
    const L = linearCurriculum({ start: 1, end: 10, steps: 2 });
    expect(() => L(-1)).toThrow(/linearCurriculum: step must be a non-negative integer, got -1/);
    expect(() => L(0.5)).toThrow(InvalidArgumentError);
  });
});

describe('synthetic tasks with a curriculum', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'cpu' });
  });

  it('copyMemoryTask: the delay of batch k is the curriculum at k, every batch laid out as the task says', () => {
    const before = tf.memory().numTensors;
    // alphabet 4, 3 symbols, delay 2 → 6 over 2 steps: delays 2, 4, 6, 6, so T = 8, 10, 12, 12
    const task = copyMemoryTask({
      delay: 6,
      alphabet: 4,
      length: 3,
      seed: 5,
      curriculum: linearCurriculum({ start: 2, end: 6, steps: 2 }),
    });
    expect(task.sequenceLength).toBe(12);
    expect(task.baseline).toBeCloseTo((3 * Math.log(4)) / 12, 14);
    expect([0, 1, 2, 3].map((k) => task.sequenceLengthAt(k))).toEqual([8, 10, 12, 12]);
    expect(task.baselineAt(0)).toBeCloseTo((3 * Math.log(4)) / 8, 14);
    expect(task.baselineAt(1)).toBeCloseTo((3 * Math.log(4)) / 10, 14);
    for (const [k, delay] of [
      [0, 2],
      [1, 4],
      [2, 6],
      [3, 6],
    ] as const) {
      expect(task.step).toBe(k);
      const T = delay + 6;
      const { inputs, targets } = task.batch(20);
      expect(inputs.shape).toEqual([20, T, 6]);
      expect(targets.shape).toEqual([20, T, 6]);
      const x = inputs.arraySync() as number[][][];
      const y = targets.arraySync() as number[][][];
      for (let b = 0; b < 20; b++) {
        const xs = (x[b] as number[][]).map(argmax);
        const ys = (y[b] as number[][]).map(argmax);
        expect(xs.slice(0, 3).every((s) => s >= 0 && s < 4)).toBe(true);
        expect(xs.slice(3, 3 + delay - 1)).toEqual(Array(delay - 1).fill(4)); // delay − 1 blanks
        expect(xs[3 + delay - 1]).toBe(5); // marker at length + delay − 1
        expect(xs.slice(3 + delay)).toEqual([4, 4, 4]);
        expect(ys.slice(0, 3 + delay).every((s) => s === 4)).toBe(true);
        expect(ys.slice(3 + delay)).toEqual(xs.slice(0, 3));
      }
      tf.dispose([inputs, targets]);
    }
    expect(task.step).toBe(4);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('seeded: the same seed and curriculum give the same batches; a constant curriculum at the maximum changes nothing', () => {
    const before = tf.memory().numTensors;
    const make = (curriculum?: (k: number) => number) =>
      copyMemoryTask({ delay: 5, alphabet: 3, length: 2, seed: 9, ...(curriculum ? { curriculum } : {}) });
    const grow = linearCurriculum({ start: 1, end: 5, steps: 3 });
    const a = make(grow);
    const b = make(grow);
    const plain = make();
    const constant = make(() => 5);
    for (let k = 0; k < 4; k++) {
      const [p, q, r, s] = [a.batch(7), b.batch(7), plain.batch(7), constant.batch(7)];
      expect(Array.from(p.inputs.dataSync())).toEqual(Array.from(q.inputs.dataSync()));
      expect(Array.from(s.inputs.dataSync())).toEqual(Array.from(r.inputs.dataSync()));
      expect(Array.from(s.targets.dataSync())).toEqual(Array.from(r.targets.dataSync()));
      tf.dispose([p, q, r, s].flatMap((t) => [t.inputs, t.targets]));
    }
    const adding = () =>
      addingProblem({ length: 9, seed: 4, curriculum: linearCurriculum({ start: 3, end: 9, steps: 2 }) });
    const [u, v] = [adding().batch(5), adding().batch(5)];
    expect(Array.from(u.inputs.dataSync())).toEqual(Array.from(v.inputs.dataSync()));
    expect(Array.from(u.targets.dataSync())).toEqual(Array.from(v.targets.dataSync()));
    tf.dispose([u.inputs, u.targets, v.inputs, v.targets]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('addingProblem: the length of batch k is the curriculum at k, one marker in each half, targets the marked sums', () => {
    const before = tf.memory().numTensors;
    // 5 → 10 over 5 steps: 5, 6, 7, 8, 9, 10 (odd lengths too: halves [0, 2) and [2, 5) at T = 5)
    const task = addingProblem({
      length: 10,
      seed: 2,
      curriculum: linearCurriculum({ start: 5, end: 10, steps: 5 }),
    });
    expect(task.sequenceLength).toBe(10);
    expect(task.baseline).toBe(1 / 6);
    expect([0, 1, 2, 3, 4, 5, 6].map((k) => task.sequenceLengthAt(k))).toEqual([5, 6, 7, 8, 9, 10, 10]);
    for (let k = 0; k < 7; k++) {
      const L = Math.min(5 + k, 10);
      const half = Math.floor(L / 2);
      const { inputs, targets } = task.batch(50);
      expect(inputs.shape).toEqual([50, L, 2]);
      expect(targets.shape).toEqual([50, 1]);
      const x = inputs.arraySync() as number[][][];
      const y = targets.dataSync();
      for (let b = 0; b < 50; b++) {
        const seq = x[b] as number[][];
        const marked = seq.flatMap((s, t) => ((s[1] as number) === 1 ? [t] : []));
        expect(marked).toHaveLength(2);
        expect(marked[0] as number).toBeLessThan(half);
        expect(marked[1] as number).toBeGreaterThanOrEqual(half);
        expect(
          seq.every((s) => (s[1] === 0 || s[1] === 1) && (s[0] as number) >= 0 && (s[0] as number) < 1),
        ).toBe(true);
        const sum = Math.fround(
          (seq[marked[0] as number]?.[0] as number) + (seq[marked[1] as number]?.[0] as number),
        );
        expect(y[b]).toBe(sum);
      }
      tf.dispose([inputs, targets]);
    }
    expect(task.step).toBe(7);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a curriculum outside the task range, not an integer or not a function is refused, naming the step; a refused batch is not counted', () => {
    const before = tf.memory().numTensors;
    const tooLong = copyMemoryTask({ delay: 6, curriculum: (k) => 6 + k });
    tf.dispose(Object.values(tooLong.batch(1)));
    expect(() => tooLong.batch(1)).toThrow(
      /copyMemoryTask\.batch: options\.curriculum\(1\) must be an integer delay in \[1, 6\], got 7/,
    );
    expect(tooLong.step).toBe(1);
    expect(() => tooLong.sequenceLengthAt(3)).toThrow(
      /copyMemoryTask\.sequenceLengthAt: options\.curriculum\(3\) must be an integer delay in \[1, 6\], got 9/,
    );
    expect(() => tooLong.baselineAt(-2)).toThrow(
      /copyMemoryTask\.baselineAt: step must be a non-negative integer, got -2/,
    );
    expect(() => addingProblem({ length: 8, curriculum: () => 1 }).batch(2)).toThrow(
      /addingProblem\.batch: options\.curriculum\(0\) must be an integer length in \[2, 8\], got 1/,
    );
    expect(() => addingProblem({ length: 8, curriculum: () => 4.5 }).batch(2)).toThrow(/got 4\.5/);
    expect(() => addingProblem({ length: 8, curriculum: () => Number.NaN }).sequenceLengthAt(0)).toThrow(
      /got NaN/,
    );
    expect(() =>
      copyMemoryTask({ delay: 6, curriculum: 'linear' as unknown as (k: number) => number }),
    ).toThrow(
      /copyMemoryTask: options\.curriculum must be a function of the step \(e\.g\. linearCurriculum\(…\)\), got/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});
