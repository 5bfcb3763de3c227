import { checkAllocation, describeValue, gaussQuadrature, InvalidArgumentError, lanczos } from '@gflow/core';
import { readOptions } from '@gflow/core/internal';
import { HessianOperator } from './internal/hessian-operator.js';
import { Random } from './internal/random.js';
import type { HvpOptions, Objective, ParamsLike } from './types.js';

/** Options of {@link hessianSpectralDensity}. */
export interface HessianSpectralDensityOptions extends HvpOptions {
  /** Lanczos steps per run (default `100`, as PyHessian, capped at the parameter count). */
  readonly steps?: number;
  /** Independent runs (random probe vectors) averaged (default `1`, as PyHessian). */
  readonly runs?: number;
  /** Seed of the probe vectors (default `0`). */
  readonly seed?: number;
  /** Points of the output grid (default `1000`). */
  readonly gridPoints?: number;
  /**
   * Standard deviation of the Gaussian broadening (default: 1/200 of the span of the quadrature
   * nodes, or `1e-3` when they all coincide).
   */
  readonly sigma?: number;
  /** The grid's interval (default: the nodes' span widened by 5 σ on each side). */
  readonly range?: readonly [number, number];
}

/** One Lanczos run of {@link hessianSpectralDensity}: its Gauss quadrature rule. */
export interface QuadratureRun {
  /** The nodes (Ritz values), ascending. */
  readonly nodes: readonly number[];
  /** The weights, summing to 1. */
  readonly weights: readonly number[];
}

/** The result of {@link hessianSpectralDensity}: plain data, ready to plot. */
export interface HessianSpectralDensityResult {
  /** The eigenvalue grid. */
  readonly grid: readonly number[];
  /** The density at each grid point, `φ(t) = (1/R) Σ_r Σ_j w_{rj} g_σ(t − θ_{rj})`; it integrates to about 1. */
  readonly density: readonly number[];
  /**
   * The probe-sampling standard error of `density` at each grid point: the standard deviation of
   * the `R` runs' densities over `√R`; `null` with one run (one probe says nothing of the spread).
   * The quadrature and broadening errors are not in it (see {@link hessianSpectralDensity}).
   */
  readonly densityStandardError: readonly number[] | null;
  /** The broadening used. */
  readonly sigma: number;
  /** Each run's nodes and weights (the raw estimate, for other kernels or moments). */
  readonly runs: readonly QuadratureRun[];
  /** Lanczos steps taken per run (fewer than asked when the Krylov space closed early). */
  readonly steps: readonly number[];
  /**
   * The trace estimate that the same quadrature gives, `dim · (1/R) Σ_r Σ_j w_{rj} θ_{rj}`: the
   * Hutchinson estimate over the `R` probes (the Gauss rule reproduces `vᵀHv/vᵀv` exactly).
   */
  readonly traceEstimate: number;
  /** Its standard error across runs, `s/√R`; `null` with one run. */
  readonly traceStandardError: number | null;
  /** The loss at the parameters. */
  readonly loss: number;
  /** The number of scalar parameters. */
  readonly dim: number;
  /** How Hessian-vector products were computed. */
  readonly mode: 'exact' | 'finite-difference';
  /** Why that mode. */
  readonly modeReason: string;
  /** Hessian-vector products spent. */
  readonly hessianVectorProducts: number;
}

/** `s/√n` for `n ≥ 2` values with mean `mean`. */
function standardError(xs: readonly number[], mean: number): number {
  let v = 0;
  for (const x of xs) v += (x - mean) ** 2;
  return Math.sqrt(v / (xs.length - 1) / xs.length);
}

function positiveInt(fn: string, arg: string, x: unknown, least: number): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < least) {
    throw new InvalidArgumentError(`${fn}: ${arg} must be an integer ≥ ${least}, got ${describeValue(x)}`);
  }
  return x;
}

/**
 * The Hessian's eigenvalue density by stochastic Lanczos quadrature (Ghorbani, Krishnan, Xiao
 * 2019; Papyan 2018; Lin, Saad, Yang 2016): for a Rademacher probe `v`, `m` Lanczos steps give a
 * Gauss rule `(θ_j, w_j)` with `vᵀ f(H) v / vᵀv ≈ Σ_j w_j f(θ_j)`; the density is
 * `φ(t) ≈ (1/R) Σ_r Σ_j w_{rj} g_σ(t − θ_{rj})`, with `g_σ` a Gaussian of standard deviation σ.
 *
 * Uses `@gflow/core`'s `lanczos` (full reorthogonalization) and `gaussQuadrature`. Parameters are
 * left bit-identical; no tensors are left behind.
 *
 * What is estimated and what is not: the result estimates the spectrum broadened by `g_σ`, on
 * average over Rademacher probes. (1) The probe sampling error is estimated, as the standard error
 * across runs (`densityStandardError`, `traceStandardError`; it needs `runs ≥ 2` and is `null`
 * otherwise). (2) The quadrature error is not estimated: `m` Lanczos steps reproduce the first
 * `2m − 1` moments of each probe's spectral measure exactly, so it is negligible once σ is wide
 * against the spacing of the nodes, and zero for a run that took fewer steps than asked (its
 * Krylov space closed). (3) The broadening is a choice, not an error: the result is the density of
 * the spectrum convolved with `g_σ`, and the nodes and weights in `runs` are there for other kernels.
 *
 * @param lossFn - The loss at the current parameter values, or `{ loss(batch), batches }`.
 * @param params - The parameters (a `Module` or a list of `Parameter`s).
 * @param options - `steps`, `runs`, `seed`, `gridPoints`, `sigma`, `range`, `mode`, `eps`.
 * @returns The grid and density with its probe-sampling standard error, each run's nodes and weights, and the trace estimate with its standard error.
 * @throws InvalidArgumentError (from `@gflow/core`) for bad options (also runs, steps and grid points
 *   whose values exceed `@gflow/core`'s allocation limit).
 * @throws NonFiniteError (from `@gflow/core`) when the loss at the parameters or a product is not finite.
 * @example
 * ```ts
 * const { grid, density } = hessianSpectralDensity(lossFn, model, { steps: 80, runs: 3 });
 * ```
 * @see Ghorbani, Krishnan, Xiao 2019, "An Investigation into Neural Net Optimization via Hessian Eigenvalue Density".
 */
export function hessianSpectralDensity<B>(
  lossFn: Objective<B>,
  params: ParamsLike,
  options: HessianSpectralDensityOptions = {},
): HessianSpectralDensityResult {
  const fn = 'hessianSpectralDensity';
  const { runsN, gridPoints, stepsAsked } = readDensityOptions(fn, options);
  const rng = new Random(options.seed ?? 0);
  const op = new HessianOperator(fn, lossFn as Objective<unknown>, params, options);
  try {
    const dim = op.dim;
    const loss = op.centerLoss();
    const steps = Math.min(stepsAsked, dim);
    const runs: QuadratureRun[] = [];
    const taken: number[] = [];
    const traces: number[] = [];
    for (let run = 0; run < runsN; run++) {
      const v = rng.rademacherVector(dim);
      const l = lanczos(op.matvec, dim, { steps, reorthogonalize: true, init: v });
      const q = gaussQuadrature(l.alpha, l.beta);
      const nodes = Array.from(q.nodes);
      const weights = Array.from(q.weights);
      runs.push({ nodes, weights });
      taken.push(l.steps);
      traces.push(dim * nodes.reduce((s, t, j) => s + t * (weights[j] as number), 0));
    }
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const q of runs) {
      lo = Math.min(lo, ...q.nodes);
      hi = Math.max(hi, ...q.nodes);
    }
    const sigma = options.sigma ?? (hi > lo ? (hi - lo) / 200 : 1e-3);
    const [gLo, gHi] = options.range ?? [lo - 5 * sigma, hi + 5 * sigma];
    const grid = new Array<number>(gridPoints);
    const density = new Array<number>(gridPoints).fill(0);
    const spread: number[] | null = runsN > 1 ? new Array<number>(gridPoints).fill(0) : null;
    const norm = 1 / (sigma * Math.sqrt(2 * Math.PI));
    const each = new Array<number>(runsN);
    for (let i = 0; i < gridPoints; i++) {
      const t = i === gridPoints - 1 ? gHi : gLo + ((gHi - gLo) * i) / (gridPoints - 1);
      grid[i] = t;
      let mean = 0;
      runs.forEach((q, r) => {
        let s = 0;
        q.nodes.forEach((theta, j) => {
          const z = (t - theta) / sigma;
          s += (q.weights[j] as number) * Math.exp(-0.5 * z * z);
        });
        each[r] = s * norm;
        mean += s * norm;
      });
      mean /= runsN;
      density[i] = mean;
      if (spread !== null) spread[i] = standardError(each, mean);
    }
    const traceEstimate = traces.reduce((a, b) => a + b, 0) / runsN;
    return {
      grid,
      density,
      sigma,
      runs,
      steps: taken,
      densityStandardError: spread,
      traceEstimate,
      traceStandardError: runsN > 1 ? standardError(traces, traceEstimate) : null,
      loss,
      dim,
      mode: op.mode,
      modeReason: op.reason,
      hessianVectorProducts: op.count,
    };
  } finally {
    op.dispose();
  }
}

/** hessianSpectralDensity's options, checked, with the memory they imply. */
function readDensityOptions(
  fn: string,
  options: HessianSpectralDensityOptions,
): { runsN: number; gridPoints: number; stepsAsked: number } {
  readOptions(fn, options);
  const runsN = positiveInt(fn, 'options.runs', options.runs ?? 1, 1);
  const gridPoints = positiveInt(fn, 'options.gridPoints', options.gridPoints ?? 1000, 2);
  const stepsAsked = positiveInt(fn, 'options.steps', options.steps ?? 100, 1);
  // the nodes and weights of every run, then the grid, the density and its spread
  checkAllocation(fn, 'float64 values', 2 * runsN * stepsAsked + 3 * gridPoints, 8);
  if (
    options.sigma !== undefined &&
    !(typeof options.sigma === 'number' && options.sigma > 0 && Number.isFinite(options.sigma))
  ) {
    throw new InvalidArgumentError(
      `${fn}: options.sigma must be a positive finite number, got ${describeValue(options.sigma)}`,
    );
  }
  const r = options.range;
  if (
    r !== undefined &&
    !(Array.isArray(r) && r.length === 2 && Number.isFinite(r[0]) && Number.isFinite(r[1]) && r[0] < r[1])
  ) {
    throw new InvalidArgumentError(
      `${fn}: options.range must be [lo, hi] with finite lo < hi, got ${describeValue(r)}`,
    );
  }
  return { runsN, gridPoints, stepsAsked };
}
