import { checkAllocation, describeValue, InvalidArgumentError } from '@gflow/core';
import { readOptions } from '@gflow/core/internal';
import { HessianOperator } from './internal/hessian-operator.js';
import { Random } from './internal/random.js';
import { dot, norm, projectOut } from './internal/vec.js';
import type { HvpOptions, Objective, ParamsLike } from './types.js';

/** Options of {@link hessianTrace}. */
export interface HessianTraceOptions extends HvpOptions {
  /**
   * Hessian-vector products to spend (default `100`; at least 2, or 6 for `'hutch++'`); with
   * `tol`, the most that may be spent.
   */
  readonly samples?: number;
  /**
   * Target relative standard error (optional): sampling stops as soon as
   * `standardError ≤ tol · |trace|` with at least 10 Hutchinson terms (fewer give too rough a
   * spread), or when `samples` products are spent; `converged` says which. Without `tol` all
   * `samples` products are spent and `converged` is `null`.
   */
  readonly tol?: number;
  /**
   * `'hutchinson'` (default): the mean of `zᵀHz` over Rademacher `z`. `'hutch++'` (Meyer et al.
   * 2021): a third of the products sketch the dominant range `Q` of H, whose trace `tr(QᵀHQ)` is
   * exact, and Hutchinson estimates the rest on `(I − QQᵀ) H (I − QQᵀ)`; far less variance when
   * a few eigenvalues dominate, exact once `samples ≥ 3 · rank(H)`.
   */
  readonly method?: 'hutchinson' | 'hutch++';
  /** Seed of the probe vectors (default `0`). */
  readonly seed?: number;
}

/** The exactly computed part of a Hutch++ estimate. */
export interface TraceSketch {
  /** `tr(QᵀHQ)` over the sketched range `Q`. */
  readonly trace: number;
  /** The number of columns of `Q`. */
  readonly rank: number;
}

/** The result of {@link hessianTrace}: plain data. */
export interface HessianTraceResult {
  /** The trace estimate `tr(H) ≈ (1/N) Σ zᵢᵀ H zᵢ` (plus the exact sketched part for Hutch++). */
  readonly trace: number;
  /**
   * The standard error of the estimate, `s / √N` with `s` the sample standard deviation of the
   * `N` Hutchinson terms (`0` when nothing was left to estimate: Hutch++ with a sketch spanning
   * every direction). It is itself estimated from the terms, with a relative uncertainty of
   * about `1/√(2(N − 1))`; for large `N`, `trace ± 1.96 · standardError` is a 95 % interval.
   * Float32 rounding of the products (relative 1e-7 or so) is not included.
   */
  readonly standardError: number;
  /** `standardError / |trace|`, or `null` when the trace estimate is exactly 0. */
  readonly relativeStandardError: number | null;
  /** The target relative standard error, or `null` when none was given. */
  readonly tol: number | null;
  /**
   * With `tol`: whether `standardError ≤ tol · |trace|` was met (with at least 10 terms, or
   * exactly by Hutch++); `null` without `tol`.
   */
  readonly converged: boolean | null;
  /** The Hutchinson terms `zᵢᵀ H zᵢ` (for Hutch++, of the deflated operator). */
  readonly estimates: readonly number[];
  /** For Hutch++, the exact trace of the sketched part `tr(QᵀHQ)` and its rank; else `null`. */
  readonly sketch: TraceSketch | null;
  /** The loss at the parameters. */
  readonly loss: number;
  /** The number of scalar parameters. */
  readonly dim: number;
  /** The method used. */
  readonly method: 'hutchinson' | 'hutch++';
  /** How Hessian-vector products were computed. */
  readonly mode: 'exact' | 'finite-difference';
  /** Why that mode. */
  readonly modeReason: string;
  /** Hessian-vector products spent. */
  readonly hessianVectorProducts: number;
}

/** The least number of Hutchinson terms whose spread `tol` is judged by. */
const MIN_TERMS = 10;

/** The mean and its standard error `s/√n` (`n ≥ 2`; `0` for no terms). */
function meanAndError(xs: readonly number[]): { mean: number; se: number } {
  const n = xs.length;
  if (n === 0) return { mean: 0, se: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, se: Number.POSITIVE_INFINITY }; // one term says nothing of its spread
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, se: Math.sqrt(v / n) };
}

/**
 * Estimates the trace of the Hessian with Hutchinson's estimator, `tr(H) = E[zᵀHz]` for
 * Rademacher `z` (entries ±1), and its standard error; optionally Hutch++.
 *
 * The variance of one term is `2 Σ_{i≠j} H_ij²`, so the standard error falls as `1/√samples`;
 * it is estimated from the terms' sample variance and reported beside the trace. With `tol`,
 * sampling stops once the relative standard error is at most `tol`, and `converged` says whether
 * that happened within `samples` products; a `tol` not met is reported as `converged: false`
 * with the error reached. Parameters are left bit-identical; no tensors are left behind.
 *
 * @param lossFn - The loss at the current parameter values, or `{ loss(batch), batches }`.
 * @param params - The parameters (a `Module` or a list of `Parameter`s).
 * @param options - `samples`, `tol`, `method`, `seed`, `mode`, `eps`.
 * @returns The estimate, its standard error (absolute and relative), whether `tol` was met, and the individual terms.
 * @throws InvalidArgumentError (from `@gflow/core`) for options that are not an object, a bad sample
 *   count (or one whose estimates exceed `@gflow/core`'s allocation limit), tol or method.
 * @throws NonFiniteError (from `@gflow/core`) when the loss at the parameters or a product is not finite.
 * @example
 * ```ts
 * const { trace, standardError, converged } = hessianTrace(lossFn, model, { samples: 500, tol: 0.02 });
 * // converged: standardError ≤ 0.02·|trace| was reached within 500 products
 * ```
 * @see Hutchinson 1990, "A stochastic estimator of the trace of the influence matrix"; Avron & Toledo 2011; Meyer, Musco, Musco, Woodruff 2021, "Hutch++".
 */
export function hessianTrace<B>(
  lossFn: Objective<B>,
  params: ParamsLike,
  options: HessianTraceOptions = {},
): HessianTraceResult {
  const fn = 'hessianTrace';
  const { method, samples, tol } = readTraceOptions(fn, options);
  const rng = new Random(options.seed ?? 0);
  const op = new HessianOperator(fn, lossFn as Objective<unknown>, params, options);
  try {
    const dim = op.dim;
    const loss = op.centerLoss();
    const { sketch, basis, used } =
      method === 'hutch++'
        ? hutchPlusPlusSketch(op, rng, samples)
        : { sketch: null, basis: [] as Float64Array[], used: 0 };
    // The sketch spans everything when its rank is the dimension: the trace is exact.
    const left = sketch !== null && basis.length === dim ? 0 : samples - used;
    const estimates: number[] = [];
    const base = sketch?.trace ?? 0;
    for (let i = 0; i < Math.max(left, 0); i++) {
      const z = rng.rademacherVector(dim);
      projectOut(z, basis);
      estimates.push(dot(z, op.matvec(z)));
      if (tol !== undefined && estimates.length >= MIN_TERMS) {
        const { mean, se } = meanAndError(estimates);
        if (se <= tol * Math.abs(base + mean)) break;
      }
    }
    const { mean, se } = meanAndError(estimates);
    const exactRest = sketch !== null && estimates.length === 0;
    const trace = base + mean;
    const standardError = exactRest ? 0 : se;
    const relativeStandardError = trace !== 0 ? standardError / Math.abs(trace) : null;
    const enoughTerms = exactRest || estimates.length >= MIN_TERMS;
    return {
      trace,
      standardError,
      relativeStandardError,
      tol: tol ?? null,
      converged:
        tol === undefined
          ? null
          : enoughTerms && (standardError === 0 || standardError <= tol * Math.abs(trace)),
      estimates,
      sketch,
      loss,
      dim,
      method,
      mode: op.mode,
      modeReason: op.reason,
      hessianVectorProducts: op.count,
    };
  } finally {
    op.dispose();
  }
}

/** hessianTrace's options, checked: the method, the sample budget, the target relative error. */
function readTraceOptions(
  fn: string,
  options: HessianTraceOptions,
): { method: 'hutchinson' | 'hutch++'; samples: number; tol: number | undefined } {
  readOptions(fn, options);
  const method = options.method ?? 'hutchinson';
  if (method !== 'hutchinson' && method !== 'hutch++') {
    throw new InvalidArgumentError(
      `${fn}: options.method must be 'hutchinson' or 'hutch++', got ${describeValue(method)}`,
    );
  }
  const samples = options.samples ?? 100;
  const least = method === 'hutch++' ? 6 : 2;
  if (!Number.isInteger(samples) || samples < least) {
    throw new InvalidArgumentError(
      `${fn}: options.samples must be an integer ≥ ${least}, got ${describeValue(samples)}`,
    );
  }
  const tol = options.tol;
  if (tol !== undefined && !(typeof tol === 'number' && tol > 0 && Number.isFinite(tol))) {
    throw new InvalidArgumentError(
      `${fn}: options.tol must be a positive finite number, got ${describeValue(tol)}`,
    );
  }
  // one stored estimate per sample
  checkAllocation(fn, 'estimates', samples, 8);
  return { method, samples, tol };
}

/**
 * Hutch++'s sketch (Meyer et al. 2021): Q = orth(H S) with S of samples/3 Rademacher columns (at
 * most dim), and tr(QᵀHQ) exactly; `used` counts the Hessian-vector products spent.
 */
function hutchPlusPlusSketch(
  op: HessianOperator,
  rng: Random,
  samples: number,
): { sketch: { trace: number; rank: number }; basis: Float64Array[]; used: number } {
  const dim = op.dim;
  const basis: Float64Array[] = [];
  const s = Math.min(Math.floor(samples / 3), dim);
  for (let i = 0; i < s; i++) {
    const y = op.matvec(rng.rademacherVector(dim));
    const n0 = norm(y);
    projectOut(y, basis);
    const n = norm(y);
    if (n > 1e-10 * n0 && n > 0) {
      for (let j = 0; j < dim; j++) y[j] = (y[j] as number) / n;
      basis.push(y);
    }
  }
  let t = 0;
  for (const q of basis) t += dot(q, op.matvec(q));
  return { sketch: { trace: t, rank: basis.length }, basis, used: s + basis.length };
}
