// Splits the `spectral` workload: spectralNorm(1024², tol 1e-6) vs singularValues(256²), and times
// the public singular values back to back against a bare ml-matrix SVD (what @gflow/core wraps: the
// difference is its validation, copy and scaling). Build first: npx tsc -b packages/core bench
// Run:  flock /tmp/gflow-bench.lock node bench/experiments/spectral-split.mjs
import { createRequire } from 'node:module';
import { singularValues, spectralNorm } from '@gflow/core';
import { gaussianArray } from '../dist/rng.js';

// ml-matrix is @gflow/core's dependency, not the bench's: resolve it from core.
const { Matrix, SingularValueDecomposition } = createRequire(
  new URL('../../packages/core/package.json', import.meta.url),
)('ml-matrix');

const a = { rows: 1024, cols: 1024, data: gaussianArray(1024 * 1024, 1) };
const b = { rows: 256, cols: 256, data: gaussianArray(256 * 256, 2) };
const bNested = Array.from({ length: 256 }, (_, i) => Array.from(b.data.subarray(i * 256, (i + 1) * 256)));
const mlSvd = () =>
  new SingularValueDecomposition(new Matrix(bNested), {
    computeLeftSingularVectors: false,
    computeRightSingularVectors: false,
    autoTranspose: true,
  }).diagonal;
// Median of n runs after one warm-up run.
const t = (f, n = 7) => {
  f();
  const s = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    f();
    s.push(performance.now() - t0);
  }
  s.sort((x, y) => x - y);
  return s[n >> 1].toFixed(1);
};
const ours = singularValues(b);
const theirs = Array.from(mlSvd()).sort((x, y) => y - x);
const diff = Math.max(...ours.map((s, i) => Math.abs(s - theirs[i])));
console.log(
  'spectralNorm 1024 ms',
  t(() => spectralNorm(a, { tol: 1e-6 })),
  '| singularValues 256 ms',
  t(() => singularValues(b)),
  '| ml-matrix SVD 256 ms',
  t(mlSvd),
  `| max |σ − σ_ml-matrix| / σ_max = ${(diff / ours[0]).toExponential(1)}`,
);
