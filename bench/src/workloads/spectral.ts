import { singularValues, spectralNorm } from '@gflow/core';
import { gaussianArray } from '../rng.js';
import type { Workload } from '../workload.js';

/**
 * `spectral`: σ_max of a 1024×1024 N(0,1) matrix to relative tolerance 1e-6, and all singular
 * values of a 256×256 N(0,1) matrix, with `spectralNorm` and `singularValues` from @gflow/core
 * (float64, on the host, as a user calls them on a weight matrix already read back).
 */
export const spectral: Workload = {
  name: 'spectral',
  what: 'spectral norm of 1024x1024 (rel. tol 1e-6) and all singular values of 256x256',
  repeats: 5,
  engine: false,
  prepare() {
    const a = { rows: 1024, cols: 1024, data: gaussianArray(1024 * 1024, 1) };
    const b = { rows: 256, cols: 256, data: gaussianArray(256 * 256, 2) };
    return {
      run() {
        const norm = spectralNorm(a, { tol: 1e-6 });
        const s = singularValues(b);
        // σ_max of an n×n N(0,1) matrix ≈ 2√n: 64 and 32 here.
        return { spectralNorm: norm, sigmaMax256: s[0] ?? Number.NaN, count256: s.length };
      },
      dispose() {},
    };
  },
};
