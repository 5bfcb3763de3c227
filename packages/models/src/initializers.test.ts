import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { plainMLP } from './feedforward/plain-mlp.js';
import { initialize } from './initializers.js';
import { lsuvInit } from './lsuv-init.js';
import { seededNormal } from './test-utils/gradcheck.js';

function stats(v: Float32Array): { mean: number; variance: number } {
  let m = 0;
  for (const x of v) m += x;
  m /= v.length;
  let s = 0;
  for (const x of v) s += (x - m) ** 2;
  return { mean: m, variance: s / v.length };
}

/** max |(MᵀM)_ij − g²δ_ij| for M rows × cols row-major (columns orthonormal times g). */
function colOrthError(v: Float32Array, rows: number, cols: number, g = 1): number {
  let err = 0;
  for (let a = 0; a < cols; a++) {
    for (let b = 0; b < cols; b++) {
      let s = 0;
      for (let i = 0; i < rows; i++) s += (v[i * cols + a] as number) * (v[i * cols + b] as number);
      err = Math.max(err, Math.abs(s - (a === b ? g * g : 0)));
    }
  }
  return err;
}

function transpose(v: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = v[i * cols + j] as number;
  return out;
}

describe('initializers', () => {
  it('are reproducible: same seed ⇒ identical values, another seed ⇒ different', () => {
    for (const spec of ['he', 'xavier', 'lecun', 'orthogonal', { name: 'uniform', variance: 1 }] as const) {
      const a = initialize(spec, [8, 8], { seed: 42 });
      expect(Array.from(initialize(spec, [8, 8], { seed: 42 }))).toEqual(Array.from(a));
      expect(Array.from(initialize(spec, [8, 8], { seed: 43 }))).not.toEqual(Array.from(a));
    }
  });

  it('draw the stated variances (within 5 standard errors)', () => {
    // sample variance of n normals has relative sd √(2/n) = 0.0041 at n = 120,000; uniform: √(0.8/n)
    const n = [400, 300];
    const cases: [Parameters<typeof initialize>[0], number, number][] = [
      ['he', 2 / 400, 0],
      [{ name: 'he', distribution: 'uniform' }, 2 / 400, 0],
      ['xavier', 2 / 700, 0],
      ['lecun', 1 / 400, 0],
      [{ name: 'normal', variance: 0.3, mean: 1 }, 0.3, 1],
      [{ name: 'uniform', variance: 0.2 }, 0.2, 0],
    ];
    for (const [spec, variance, mean] of cases) {
      const s = stats(initialize(spec, n, { seed: 1 }));
      expect(Math.abs(s.variance / variance - 1)).toBeLessThan(5 * 0.0041);
      expect(Math.abs(s.mean - mean)).toBeLessThan(5 * Math.sqrt(variance / 120000));
    }
    const u = initialize({ name: 'uniform', variance: 0.2 }, [1000], { seed: 2 });
    const a = Math.sqrt(0.6);
    expect(u.every((x) => x >= -a && x <= a)).toBe(true);
    expect(Array.from(initialize({ name: 'constant', value: 0.3 }, [3]))).toEqual(
      [0.3, 0.3, 0.3].map(Math.fround),
    );
    expect(initialize('zeros', [4]).every((x) => x === 0)).toBe(true);
  });

  it('orthogonal: orthonormal columns (tall), rows (wide), flattened kernels, with gain', () => {
    expect(
      colOrthError(initialize({ name: 'orthogonal', gain: 2 }, [16, 16], { seed: 3 }), 16, 16, 2),
    ).toBeLessThan(1e-5);
    expect(colOrthError(initialize('orthogonal', [20, 8], { seed: 4 }), 20, 8)).toBeLessThan(1e-6);
    expect(
      colOrthError(transpose(initialize('orthogonal', [8, 20], { seed: 5 }), 8, 20), 20, 8),
    ).toBeLessThan(1e-6);
    expect(colOrthError(initialize('orthogonal', [3, 3, 4, 8], { seed: 6 }), 36, 8)).toBeLessThan(1e-6);
    expect(
      colOrthError(initialize({ name: 'scaledOrthogonal', activation: 'relu' }, [6, 6]), 6, 6, Math.SQRT2),
    ).toBeLessThan(1e-5);
  });

  it('orthogonal is orthogonal for any seed and shape (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (r, c, seed) => {
          const v = initialize('orthogonal', [r, c], { seed });
          const err = r >= c ? colOrthError(v, r, c) : colOrthError(transpose(v, r, c), c, r);
          return err < 1e-5;
        },
      ),
      { numRuns: 60, seed: 11 },
    );
  });

  it('orthogonal is Haar: E[Q₁₁²] = 1/n and E[Q₁₁] = 0 over seeds', () => {
    // Q₁₁² ~ Beta(1/2, (n−1)/2): mean 1/n, variance 2(n−1)/(n²(n+2)); n = 4 → sd 0.153, SE over 2,000: 0.0034
    let m1 = 0;
    let m2 = 0;
    const N = 2000;
    for (let s = 0; s < N; s++) {
      const q = initialize('orthogonal', [4, 4], { seed: s })[0] as number;
      m1 += q / N;
      m2 += (q * q) / N;
    }
    expect(Math.abs(m2 - 0.25)).toBeLessThan(5 * 0.0034);
    expect(Math.abs(m1)).toBeLessThan((5 * 0.5) / Math.sqrt(N));
  });

  it('identity and chrono', () => {
    expect(Array.from(initialize({ name: 'identity', gain: 2 }, [2, 3]))).toEqual([2, 0, 0, 0, 2, 0]);
    const c = initialize({ name: 'chrono', maxTimescale: 100 }, [500], { seed: 7 });
    // log(U(1, 99)) ∈ [0, log 99], mean = (99 log 99 − 99 − (0 − 1))/98 − … = E[log U] for U ~ U(1, 99)
    expect(c.every((v) => v >= 0 && v <= Math.log(99))).toBe(true);
    const expectedMean = (99 * Math.log(99) - 99 + 1) / 98;
    expect(Math.abs(stats(c).mean - expectedMean)).toBeLessThan(0.1);
    expect(() => initialize({ name: 'chrono', maxTimescale: 100 }, [2, 2])).toThrow(
      /'chrono' needs a 1-D bias shape/,
    );
    expect(() => initialize('orthogonal', [5])).toThrow(/'orthogonal' needs a shape of rank ≥ 2, got \[5\]/);
    expect(() => initialize({ name: 'chrono', maxTimescale: 2 }, [3])).toThrow(
      /spec\.maxTimescale must be > 2, got 2/,
    );
  });
});

describe('lsuvInit', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('brings every block output to unit variance, layer by layer', () => {
    const before = tf.memory().numTensors;
    const net = plainMLP({ depth: 6, width: 32, inputSize: 8, activation: 'relu', init: 'lsuv', seed: 1 });
    const x = seededNormal([256, 8], 2, 3);
    const steps = lsuvInit(net, x, { tolerance: 0.05 });
    expect(steps.map((s) => s.tap)).toEqual([
      'blocks.0',
      'blocks.1',
      'blocks.2',
      'blocks.3',
      'blocks.4',
      'blocks.5',
    ]);
    // measure independently after the fact
    const v = new Map<string, number>();
    tf.tidy(() => {
      net.apply(x, {
        training: false,
        tap: (n, t) => {
          v.set(n, tf.moments(t).variance.dataSync()[0] as number);
          return t;
        },
      });
    });
    for (const s of steps) {
      expect(s.kernels).toEqual([`${s.tap}.dense.kernel`]);
      expect(Math.abs((v.get(s.tap) as number) - 1)).toBeLessThan(0.05);
    }
    x.dispose();
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
