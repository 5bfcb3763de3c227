// Quality bar: on a two-layer tanh MLP small enough to form its Hessian, every curvature function
// agrees with the exact eigendecomposition within 1e-3 relative. The reference Hessian comes from
// an independent float64 implementation (test-utils/reference-mlp.ts: hand-written backprop,
// then central differences of that analytic gradient), decomposed by ml-matrix.
import { initBackend, softmaxCrossEntropy } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hessianEigenvalues } from './hessian-eigenvalues.js';
import { hessianSpectralDensity } from './hessian-spectral-density.js';
import { hessianTrace } from './hessian-trace.js';
import { hessianVectorProduct } from './hessian-vector-product.js';
import { Random } from './internal/random.js';
import { bits, classification, mlp, type TestModule } from './test-utils/models.js';
import { hessianByDifferences, lossAndGrad, type RefProblem } from './test-utils/reference-mlp.js';

const INPUTS = 4;
const HIDDEN = 10;
const OUTPUTS = 3;
const N = 24;

let model: TestModule;
let data: ReturnType<typeof classification>;
let lossFn: () => tf.Scalar;
let Href: number[][];
let eig: { values: number[]; vectors: Matrix };
let dim: number;

beforeAll(async () => {
  await initBackend();
  model = mlp({ inputs: INPUTS, hidden: HIDDEN, outputs: OUTPUTS, activation: 'tanh', seed: 3 });
  data = classification(7, N, [INPUTS], OUTPUTS);
  lossFn = () => softmaxCrossEntropy(data.ys, model.apply(data.xs));
  const theta = Float64Array.from(model.parameters().flatMap((p) => Array.from(p.variable.dataSync())));
  dim = theta.length;
  const problem: RefProblem = {
    inputs: INPUTS,
    hidden: HIDDEN,
    outputs: OUTPUTS,
    activation: 'tanh',
    x: data.x,
    labels: data.labels,
  };
  Href = hessianByDifferences(problem, theta);
  const e = new EigenvalueDecomposition(new Matrix(Href), { assumeSymmetric: true });
  eig = { values: e.realEigenvalues, vectors: e.eigenvectorMatrix };
  // The tfjs model computes the same loss as the reference (a check of the reference itself).
  const ref = lossAndGrad(problem, theta).loss;
  const got = tf.tidy(() => lossFn().dataSync()[0] as number);
  expect(Math.abs(got - ref)).toBeLessThan(1e-5);
});

afterAll(() => {
  model.dispose();
  data.xs.dispose();
  data.ys.dispose();
});

function byMagnitude(values: number[]): number[] {
  return values.slice().sort((a, b) => Math.abs(b) - Math.abs(a));
}

describe('exact Hessian of a two-layer tanh MLP (111 parameters)', () => {
  it('double backprop, column by column, matches the float64 reference Hessian', () => {
    const before = tf.memory().numTensors;
    const scale = Math.max(...Href.flat().map(Math.abs));
    let worst = 0;
    for (let j = 0; j < dim; j++) {
      const e = new Float64Array(dim);
      e[j] = 1;
      const { product, mode } = hessianVectorProduct(lossFn, model, e, { mode: 'exact' });
      expect(mode).toBe('exact');
      const col = product.flatMap((p) => p.values);
      for (let i = 0; i < dim; i++)
        worst = Math.max(worst, Math.abs((col[i] as number) - (Href[i] as number[])[j]!));
    }
    expect(worst / scale).toBeLessThan(1e-4);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('top-3 eigenvalues (power and Lanczos) within 1e-3 relative, λ_min and the condition estimate too', () => {
    const before = tf.memory().numTensors;
    const snapshot = bits(model);
    const want = byMagnitude(eig.values).slice(0, 3);
    const lmax = Math.max(...eig.values);
    const lmin = Math.min(...eig.values);
    for (const method of ['power', 'lanczos'] as const) {
      // tol 1e-5: 1e-6 is at float32's floor on this net (power iteration stalls at a relative
      // residual of 1.15e-6 on the second eigenvalue), and is then reported as not converged.
      const r = hessianEigenvalues(lossFn, model, {
        k: 3,
        method,
        tol: 1e-5,
        maxIter: method === 'power' ? 3000 : dim,
        mode: 'exact',
      });
      r.eigenvalues.forEach((v, i) => {
        expect(Math.abs(v - want[i]!) / Math.abs(want[i]!)).toBeLessThan(1e-3);
      });
      expect(r.converged).toEqual([true, true, true]);
      for (const res of r.residuals) expect(res).toBeLessThanOrEqual(1e-5);
      expect(Math.abs(r.lambdaMax! - lmax) / Math.abs(lmax)).toBeLessThan(1e-3);
      expect(Math.abs(r.lambdaMin! - lmin) / Math.abs(lmin)).toBeLessThan(1e-3);
      const kappa = Math.max(Math.abs(lmax), Math.abs(lmin)) / Math.min(Math.abs(lmax), Math.abs(lmin));
      expect(Math.abs(r.conditionNumber! - kappa) / kappa).toBeLessThan(2e-3);
      expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    }
    expect(bits(model)).toEqual(snapshot);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trace: Hutch++ within 1e-3 relative; Hutchinson within 4 standard errors, with an honest error', () => {
    const exact = Href.reduce((s, row, i) => s + row[i]!, 0);
    const pp = hessianTrace(lossFn, model, { method: 'hutch++', samples: 3 * dim + 3, mode: 'exact' });
    expect(Math.abs(pp.trace - exact) / Math.abs(exact)).toBeLessThan(1e-3);
    const h = hessianTrace(lossFn, model, { samples: 300, seed: 5, mode: 'exact' });
    expect(Math.abs(h.trace - exact)).toBeLessThan(4 * h.standardError);
    // Var(zᵀHz) = 2 Σ_{i≠j} H_ij² for Rademacher z: the reported error matches it within 25 %.
    let off = 0;
    for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) if (i !== j) off += Href[i]![j]! ** 2;
    const theory = Math.sqrt((2 * off) / 300);
    expect(h.standardError / theory).toBeGreaterThan(0.75);
    expect(h.standardError / theory).toBeLessThan(1.25);
  });

  it('spectral density equals the exact spectrum weighted by the same probe, within 1e-3', () => {
    const sigma = 0.02 * (Math.max(...eig.values) - Math.min(...eig.values));
    const r = hessianSpectralDensity(lossFn, model, {
      steps: dim,
      runs: 2,
      seed: 11,
      sigma,
      gridPoints: 400,
      mode: 'exact',
    });
    // The probes: the same seeded Rademacher vectors, drawn in the same order.
    const rng = new Random(11);
    const probes = [rng.rademacherVector(dim), rng.rademacherVector(dim)];
    const want = r.grid.map((t) => {
      let s = 0;
      for (const v of probes) {
        for (let k = 0; k < dim; k++) {
          let c = 0;
          for (let i = 0; i < dim; i++) c += eig.vectors.get(i, k) * v[i]!;
          const w = (c * c) / dim; // (uₖ · v)² / ‖v‖², ‖v‖² = dim
          s += w * Math.exp(-0.5 * ((t - eig.values[k]!) / sigma) ** 2);
        }
      }
      return s / (probes.length * sigma * Math.sqrt(2 * Math.PI));
    });
    const peak = Math.max(...want);
    const worst = Math.max(...r.density.map((d, i) => Math.abs(d - want[i]!)));
    expect(worst / peak).toBeLessThan(1e-3);
    // Integrates to 1 (Riemann sum over a grid that covers ±5σ).
    const dt = r.grid[1]! - r.grid[0]!;
    expect(Math.abs(r.density.reduce((a, b) => a + b, 0) * dt - 1)).toBeLessThan(1e-3);
    const exactTrace = eig.values.reduce((a, b) => a + b, 0);
    expect(Number.isFinite(r.traceEstimate)).toBe(true);
    expect(r.traceEstimate).not.toBe(exactTrace);
  });
});
