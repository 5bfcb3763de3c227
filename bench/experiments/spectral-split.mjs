// Splits the `spectral` workload: spectralNorm(1024², tol 1e-6) vs singularValues(256²).
import { singularValues, spectralNorm } from '@gflow/core';
import { gaussianArray } from '../dist/rng.js';

const a = { rows: 1024, cols: 1024, data: gaussianArray(1024 * 1024, 1) };
const b = { rows: 256, cols: 256, data: gaussianArray(256 * 256, 2) };
const t = (f, n = 5) => {
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
console.log(
  'spectralNorm 1024 ms',
  t(() => spectralNorm(a, { tol: 1e-6 })),
  'singularValues 256 ms',
  t(() => singularValues(b)),
);
