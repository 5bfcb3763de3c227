import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { addingProblem } from './adding-problem.js';
import { copyMemoryTask } from './copy-memory-task.js';
import { syntheticImages } from './synthetic-images.js';
import { teacherStudent } from './teacher-student.js';

describe('synthetic tasks', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('copyMemoryTask: layout, targets, seeding, and the memoryless baseline', () => {
    const before = tf.memory().numTensors;
    const task = copyMemoryTask({ delay: 7, alphabet: 4, length: 3, seed: 5 });
    expect(task.sequenceLength).toBe(13);
    expect(task.baseline).toBeCloseTo((3 * Math.log(4)) / 13, 14);
    const { inputs, targets } = task.batch(50);
    expect(inputs.shape).toEqual([50, 13, 6]);
    const x = inputs.arraySync() as number[][][];
    const y = targets.arraySync() as number[][][];
    const argmax = (v: number[]): number => v.indexOf(1);
    for (let b = 0; b < 50; b++) {
      const xs = (x[b] as number[][]).map(argmax);
      const ys = (y[b] as number[][]).map(argmax);
      expect(xs.slice(0, 3).every((s) => s >= 0 && s < 4)).toBe(true);
      expect(xs.slice(3, 9)).toEqual([4, 4, 4, 4, 4, 4]); // delay − 1 blanks
      expect(xs[9]).toBe(5); // marker at length + delay − 1
      expect(xs.slice(10)).toEqual([4, 4, 4]);
      expect(ys.slice(0, 10).every((s) => s === 4)).toBe(true);
      expect(ys.slice(10)).toEqual(xs.slice(0, 3));
    }
    // the memoryless predictor, evaluated by tfjs: blank with probability 1 before the window, uniform
    // over the 4 data symbols inside it (probabilities clipped away from 0 for the log)
    const ce = tf.tidy(() => {
      const p = new Float32Array(13 * 6).fill(1e-30);
      for (let t = 0; t < 13; t++) {
        if (t < 10) p[t * 6 + 4] = 1;
        else for (let k = 0; k < 4; k++) p[t * 6 + k] = 0.25;
      }
      const probs = tf.tensor3d(p, [1, 13, 6]);
      return tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.log(probs)), -1))).dataSync()[0] as number;
    });
    expect(Math.abs(ce - task.baseline)).toBeLessThan(1e-6);
    // same seed ⇒ same stream
    const again = copyMemoryTask({ delay: 7, alphabet: 4, length: 3, seed: 5 }).batch(50);
    expect(Array.from(again.inputs.dataSync())).toEqual(Array.from(inputs.dataSync()));
    tf.dispose([inputs, targets, again.inputs, again.targets]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('addingProblem: targets are the marked sums, one marker per half, baseline 1/6', () => {
    const before = tf.memory().numTensors;
    const task = addingProblem({ length: 10, seed: 2 });
    expect(task.baseline).toBe(1 / 6);
    const { inputs, targets } = task.batch(20000);
    const x = inputs.dataSync();
    const y = targets.dataSync();
    let sq = 0;
    for (let b = 0; b < 20000; b++) {
      const marks: number[] = [];
      let sum = 0;
      for (let t = 0; t < 10; t++) {
        if (x[(b * 10 + t) * 2 + 1] === 1) {
          marks.push(t);
          sum += x[(b * 10 + t) * 2] as number;
        }
      }
      expect(marks.length).toBe(2);
      expect(marks[0]).toBeLessThan(5);
      expect(marks[1]).toBeGreaterThanOrEqual(5);
      expect(Math.abs((y[b] as number) - sum)).toBeLessThan(1e-6);
      sq += ((y[b] as number) - 1) ** 2;
    }
    // Var(U₁ + U₂) = 1/6; the squared error has sd ≈ 0.197, so SE ≈ 0.0014 over 20,000
    expect(Math.abs(sq / 20000 - 1 / 6)).toBeLessThan(0.007);
    tf.dispose([inputs, targets]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('teacherStudent: noiseless targets are the teacher; baseline is Var y; Bayes error is σ²', () => {
    const before = tf.memory().numTensors;
    const task = teacherStudent({ inputSize: 5, outputSize: 2, noise: 0, seed: 3 });
    const { inputs, targets } = task.batch(64);
    tf.tidy(() => {
      const direct = task.teacher.apply(inputs);
      expect(Array.from(targets.dataSync())).toEqual(Array.from(direct.dataSync()));
    });
    expect(task.baseline).toBeGreaterThan(0);
    const noisy = teacherStudent({ inputSize: 5, noise: 0.5, seed: 3 });
    expect(noisy.bayesError).toBe(0.25);
    const b = noisy.batch(4000);
    const resid = tf.tidy(
      () => tf.moments(tf.sub(b.targets, noisy.teacher.apply(b.inputs))).variance.dataSync()[0] as number,
    );
    expect(Math.abs(resid - 0.25)).toBeLessThan(0.03);
    tf.dispose([inputs, targets, b.inputs, b.targets]);
    task.dispose();
    noisy.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('syntheticImages: shapes, one-hot targets matching labels, seeded, balanced', () => {
    const before = tf.memory().numTensors;
    const task = syntheticImages({ classes: 4, size: 8, channels: 2, seed: 1 });
    expect(task.baseline).toBeCloseTo(Math.log(4), 14);
    const { inputs, targets, labels } = task.batchWithLabels(400);
    expect(inputs.shape).toEqual([400, 8, 8, 2]);
    const l = labels.dataSync();
    const t = targets.arraySync() as number[][];
    const counts = [0, 0, 0, 0];
    l.forEach((c, i) => {
      expect((t[i] as number[]).indexOf(1)).toBe(c);
      counts[c] = (counts[c] as number) + 1;
    });
    for (const c of counts) expect(Math.abs(c - 100)).toBeLessThan(40);
    const again = syntheticImages({ classes: 4, size: 8, channels: 2, seed: 1 }).batch(400);
    expect(Array.from(again.inputs.dataSync())).toEqual(Array.from(inputs.dataSync()));
    tf.dispose([inputs, targets, labels, again.inputs, again.targets]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
