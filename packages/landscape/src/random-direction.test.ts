import { initBackend } from '@gflow/backend';
import type { Parameter, ParameterRole } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomDirection } from './random-direction.js';
import { variableOf } from './test-utils/models.js';

beforeAll(async () => {
  await initBackend();
});

function make(
  specs: { name: string; role: ParameterRole; shape: number[]; values: number[] }[],
): Parameter[] {
  return specs.map((s) => ({
    name: s.name,
    role: s.role,
    variable: variableOf(s.values, s.shape, `${s.name}-${Math.random()}`),
  }));
}
function dispose(ps: Parameter[]) {
  for (const p of ps) p.variable.dispose();
}
/** Norms of the slices along the last axis (filters). */
function filterNorms(values: readonly number[], filters: number): number[] {
  const out = new Array(filters).fill(0);
  values.forEach((v, j) => {
    out[j % filters] += v * v;
  });
  return out.map(Math.sqrt);
}

describe('randomDirection', () => {
  it('filter-normalizes HWIO conv kernels per output channel and dense [in, out] kernels per column', () => {
    // conv kernel [1, 1, 2, 3]: filter c is entries c, c + 3 (output channel last).
    const conv = [1, 2, 2, 0, 0, 1]; // filter norms: ‖(1, 0)‖ = 1, ‖(2, 0)‖ = 2, ‖(2, 1)‖ = √5
    const dense = [3, 0, 4, 0]; // [2, 2]: column norms ‖(3, 4)‖ = 5, ‖(0, 0)‖ = 0
    const ps = make([
      { name: 'conv.kernel', role: 'kernel', shape: [1, 1, 2, 3], values: conv },
      { name: 'dense.kernel', role: 'kernel', shape: [2, 2], values: dense },
      { name: 'dense.bias', role: 'bias', shape: [2], values: [1, 1] },
      { name: 'bn.gamma', role: 'norm', shape: [2], values: [1, 1] },
    ]);
    const before = tf.memory().numTensors;
    const d = randomDirection(ps, { seed: 3 });
    filterNorms(d[0]!.values, 3).forEach((n, i) => {
      expect(n).toBeCloseTo([1, 2, Math.sqrt(5)][i]!, 12);
    });
    const dn = filterNorms(d[1]!.values, 2);
    expect(dn[0]).toBeCloseTo(5, 12);
    expect(dn[1]).toBe(0); // a zero filter gets a zero direction
    expect(d[2]!.values).toEqual([0, 0]);
    expect(d[3]!.values).toEqual([0, 0]);
    expect(d.map((p) => p.shape)).toEqual([[1, 1, 2, 3], [2, 2], [2], [2]]);
    expect(tf.memory().numTensors).toBe(before);
    dispose(ps);
  });

  it('never normalizes a bias entry by entry: with ignore [] it is rescaled as a whole', () => {
    const b = [3, -4, 0, 0];
    const ps = make([{ name: 'b', role: 'bias', shape: [4], values: b }]);
    const d = randomDirection(ps, { ignore: [], seed: 1 }).at(0)!.values;
    expect(Math.hypot(...d)).toBeCloseTo(5, 12);
    // Entry-by-entry normalization would give |d_i| = |b_i|, in particular d_2 = d_3 = 0.
    expect(d[2]).not.toBe(0);
    expect(d.map(Math.abs)).not.toEqual(b.map(Math.abs));
    dispose(ps);
  });

  it('layer and none normalizations, and the same seed gives the same direction', () => {
    const ps = make([{ name: 'w', role: 'kernel', shape: [3, 2], values: [1, 2, 3, 4, 5, 6] }]);
    const layer = randomDirection(ps, { normalization: 'layer', seed: 2 })[0]!.values;
    expect(Math.hypot(...layer)).toBeCloseTo(Math.hypot(1, 2, 3, 4, 5, 6), 12);
    const none = randomDirection(ps, { normalization: 'none', seed: 2 })[0]!.values;
    const scale = Math.hypot(1, 2, 3, 4, 5, 6) / Math.hypot(...none);
    none.forEach((x, i) => {
      expect(x * scale).toBeCloseTo(layer[i]!, 12);
    });
    expect(randomDirection(ps, { seed: 2 })).toEqual(randomDirection(ps, { seed: 2 }));
    expect(randomDirection(ps, { seed: 2 })).not.toEqual(randomDirection(ps, { seed: 3 }));
    dispose(ps);
  });

  it('a part does not depend on which roles are ignored (property: filter norms always match)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 6, maxLength: 6 }),
        fc.integer({ min: 0, max: 1000 }),
        (w, seed) => {
          const ps = make([
            { name: 'k', role: 'kernel', shape: [3, 2], values: w.map(Math.fround) },
            { name: 'b', role: 'bias', shape: [2], values: [0.5, 0.5] },
          ]);
          const a = randomDirection(ps, { seed });
          const b = randomDirection(ps, { seed, ignore: [] });
          expect(a[0]).toEqual(b[0]);
          const want = filterNorms(w.map(Math.fround), 2);
          filterNorms(a[0]!.values, 2).forEach((n, i) => {
            expect(Math.abs(n - want[i]!)).toBeLessThan(1e-9 * (1 + want[i]!));
          });
          dispose(ps);
        },
      ),
      { numRuns: 30, seed: 7 },
    );
  });

  it('rejects bad options', () => {
    const ps = make([{ name: 'w', role: 'kernel', shape: [2], values: [1, 2] }]);
    expect(() => randomDirection(ps, { normalization: 'unit' as never })).toThrow(
      /randomDirection: options.normalization must be 'filter', 'layer' or 'none', got "unit"/,
    );
    expect(() => randomDirection(ps, { ignore: ['biases' as never] })).toThrow(
      /options.ignore must be a list of roles/,
    );
    expect(() => randomDirection([])).toThrow(/randomDirection: params must hold at least one Parameter/);
    dispose(ps);
  });
});
