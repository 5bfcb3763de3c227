import { initBackend } from '@gflow/backend';
import { DEFAULT_ALLOCATION_LIMIT, GflowError, InvalidArgumentError, setAllocationLimit } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runWithin } from '../../core/src/test-utils/bad-inputs.js';
import { hessianEigenvalues } from './hessian-eigenvalues.js';
import { hessianSpectralDensity } from './hessian-spectral-density.js';
import { hessianTrace } from './hessian-trace.js';
import { hessianVectorProduct } from './hessian-vector-product.js';
import { interpolate } from './interpolate.js';
import { lossLine } from './loss-line.js';
import { lossPlane } from './loss-plane.js';
import { randomDirection } from './random-direction.js';
import { diagPlusRankOne, type Quadratic, quadratic } from './test-utils/quadratic.js';

// Issue 16: options that are not an object, and sizes whose result would not fit, are refused
// before any loss is evaluated. Each call runs under the bad-input harness's watchdog (1 s), so a
// hang fails the test instead of blocking the run.

const A = diagPlusRankOne([1, 2, 3, 0.5, -1, 4, 2, 1, 0.25], [0.3, -0.2, 0.1, 0.4, 0, 0.2, -0.1, 0.5, 0.3]);
const B = [0.1, -0.2, 0.3, 0, 0.5, -0.1, 0.2, 0.05, -0.3];
const THETA = [0.5, -1, 0.25, 2, 0.75, -0.5, 1, 0.1, -0.2];
const D = Array.from({ length: 9 }, (_, i) => (i % 3) - 1);

let q: Quadratic;
let before: number;
beforeAll(async () => {
  await initBackend();
});
beforeEach(() => {
  q = quadratic(A, B, THETA);
  before = tf.memory().numTensors;
});
afterEach(() => {
  expect(tf.memory().numTensors).toBe(before);
  q.dispose();
  setAllocationLimit(DEFAULT_ALLOCATION_LIMIT);
});

function refusal(f: () => unknown): GflowError {
  try {
    runWithin(f, 1000);
  } catch (e) {
    if (e instanceof GflowError) return e;
    throw e;
  }
  throw new Error('expected a GflowError, the call returned');
}

describe('landscape entries refuse options that are not an object, naming the function', () => {
  const calls: [string, (o: unknown) => unknown][] = [
    ['hessianEigenvalues', (o) => hessianEigenvalues(q.lossFn, q.params, o as never)],
    ['hessianSpectralDensity', (o) => hessianSpectralDensity(q.lossFn, q.params, o as never)],
    ['hessianTrace', (o) => hessianTrace(q.lossFn, q.params, o as never)],
    ['hessianVectorProduct', (o) => hessianVectorProduct(q.lossFn, q.params, D, o as never)],
    ['interpolate', (o) => interpolate(q.lossFn, q.params, THETA, THETA, o as never)],
    ['lossLine', (o) => lossLine(q.lossFn, q.params, D, o as never)],
    ['lossPlane', (o) => lossPlane(q.lossFn, q.params, D, D, o as never)],
    ['randomDirection', (o) => randomDirection(q.params, o as never)],
  ];
  for (const [name, call] of calls) {
    it(name, () => {
      for (const bad of [null, 'x', 3, [1]]) {
        const e = refusal(() => call(bad));
        expect(e).toBeInstanceOf(InvalidArgumentError);
        expect(e.message).toMatch(new RegExp(`^${name}: options must be an object, got`));
      }
    });
  }
});

describe('landscape grids and sample counts above the allocation limit are refused at once', () => {
  it('lossLine and interpolate with 1e9 points, lossPlane with 1e5 × 1e5', () => {
    expect(refusal(() => lossLine(q.lossFn, q.params, D, { points: 1e9 })).message).toBe(
      'lossLine: would allocate about 1.00e+9 grid points (8.00e+9 bytes), above the allocation limit of 268435456 values; raise it with setAllocationLimit() if this is intended',
    );
    expect(refusal(() => interpolate(q.lossFn, q.params, THETA, D, { points: 1e9 })).message).toMatch(
      /^interpolate: would allocate about 1\.00e\+9 grid points/,
    );
    // each axis fits, the plane does not: 1e10 points
    expect(refusal(() => lossPlane(q.lossFn, q.params, D, D, { points: 1e5 })).message).toMatch(
      /^lossPlane: would allocate about 1\.00e\+10 grid points \(8\.00e\+10 bytes\)/,
    );
  });

  it('hessianTrace with 1e9 samples and hessianSpectralDensity with 1e9 runs', () => {
    expect(refusal(() => hessianTrace(q.lossFn, q.params, { samples: 1e9 })).message).toMatch(
      /^hessianTrace: would allocate about 1\.00e\+9 estimates/,
    );
    // 2 · 1e9 runs · 100 steps + 3 · 1000 grid values
    expect(refusal(() => hessianSpectralDensity(q.lossFn, q.params, { runs: 1e9 })).message).toMatch(
      /^hessianSpectralDensity: would allocate about 2\.00e\+11 float64 values/,
    );
  });

  it('the limit is the one set in @gflow/core: 51 points pass at a limit of 51 and fail at 50', () => {
    setAllocationLimit(51);
    expect(lossLine(q.lossFn, q.params, D, { points: 51 }).losses).toHaveLength(51);
    setAllocationLimit(50);
    expect(refusal(() => lossLine(q.lossFn, q.params, D, { points: 51 }))).toBeInstanceOf(
      InvalidArgumentError,
    );
  });
});

describe('a loss the parameters do not reach', () => {
  it('is refused by name (tfjs said "Cannot find a connection")', () => {
    const e = refusal(() => hessianVectorProduct(() => tf.scalar(1), q.params, D));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message).toBe(
      'hessianVectorProduct: the loss does not depend on the parameters (no gradient reaches any of them)',
    );
  });

  it('a loss linear in the parameters has H v = 0 exactly (the second gradient reaches none of them)', () => {
    const linear = (): tf.Scalar =>
      tf.tidy(() => tf.addN(q.params.map((p, i) => tf.mul(i + 1, tf.sum(p.variable)))) as tf.Scalar);
    const hv = hessianVectorProduct(linear, q.params, D, { mode: 'exact' });
    const flat = hv.product.flatMap((part) => [...part.values]);
    expect(hv.mode).toBe('exact');
    expect(flat).toEqual(new Array(9).fill(0));
  });
});
