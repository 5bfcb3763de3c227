import { describeValue, InvalidArgumentError, lanczos, powerIteration } from '@gflow/core';
import { HessianOperator } from './internal/hessian-operator.js';
import { toParameterVector } from './internal/params.js';
import { norm, projectOut, residual } from './internal/vec.js';
import type { HvpOptions, Objective, ParameterVector, ParamsLike } from './types.js';

/** Options of {@link hessianEigenvalues}. */
export interface HessianEigenvaluesOptions extends HvpOptions {
  /** How many eigenvalues of largest magnitude (default `1`). */
  readonly k?: number;
  /**
   * `'power'` (default, as PyHessian): power iteration with deflation, one eigenvalue after the
   * other. `'lanczos'`: one Lanczos run of `maxIter` steps with full reorthogonalization.
   */
  readonly method?: 'power' | 'lanczos';
  /**
   * Convergence tolerance (default `1e-3`, as PyHessian). Power iteration stops when the
   * eigenvalue's relative change `|λ_t − λ_{t−1}| / (|λ_{t−1}| + 1e-6)` falls below `tol` (PyHessian's
   * rule) or the relative residual `‖Hv − λv‖ / |λ|` does; a Lanczos Ritz pair counts as converged
   * when its relative residual is below `tol`.
   */
  readonly tol?: number;
  /** Maximum Hessian-vector products per eigenvalue (power) or Lanczos steps (default `100`). */
  readonly maxIter?: number;
  /** Seed of the start vectors (default `0`). */
  readonly seed?: number;
  /** Also find the other end of the spectrum and the condition estimate (default `true`). */
  readonly extremes?: boolean;
  /** Return the eigenvectors (default `false`: they are as large as the model). */
  readonly returnVectors?: boolean;
}

/** The result of {@link hessianEigenvalues}: plain data. */
export interface HessianEigenvaluesResult {
  /** The `k` eigenvalues of largest magnitude, signed, by decreasing magnitude. */
  readonly eigenvalues: readonly number[];
  /** Per eigenvalue: Hessian-vector products spent (power) or Lanczos steps (lanczos). */
  readonly iterations: readonly number[];
  /** Per eigenvalue: whether it met `tol`. */
  readonly converged: readonly boolean[];
  /** Per eigenvalue: the relative residual `‖Hv − λv‖ / |λ|`. */
  readonly residuals: readonly number[];
  /** The eigenvectors (unit, shaped like the parameters) when `returnVectors` was set. */
  readonly eigenvectors?: readonly ParameterVector[];
  /** The largest eigenvalue (algebraic), or `null` when `extremes` is off and it was not found. */
  readonly lambdaMax: number | null;
  /**
   * The smallest eigenvalue (algebraic; the most negative one when H is indefinite), found by
   * power iteration on the shifted operator `H − λ_max I` (or directly by Lanczos), or `null`.
   */
  readonly lambdaMin: number | null;
  /** Whether the search for the other end of the spectrum met `tol`. */
  readonly extremeConverged: boolean | null;
  /**
   * `|λ_max| / |λ_min|` in magnitude order (largest over smallest of the two ends): the condition
   * number when H is positive definite; `null` when unknown or when an end is 0.
   */
  readonly conditionNumber: number | null;
  /** `|λ_min / λ_max|` when `λ_min < 0` (how non-convex, Ghorbani et al. 2019), else `0`; `null` when unknown. */
  readonly negativeRatio: number | null;
  /** The loss at the parameters. */
  readonly loss: number;
  /** The number of scalar parameters. */
  readonly dim: number;
  /** The method used. */
  readonly method: 'power' | 'lanczos';
  /** How Hessian-vector products were computed. */
  readonly mode: 'exact' | 'finite-difference';
  /** Why that mode. */
  readonly modeReason: string;
  /** Hessian-vector products spent in all. */
  readonly hessianVectorProducts: number;
}

interface Pair {
  value: number;
  vector: Float64Array;
  iterations: number;
  converged: boolean;
  residual: number;
}

/** Power iteration through `@gflow/core`, one product per step, stopping by PyHessian's rule too. */
function power(
  matvec: (v: Float64Array) => Float64Array,
  dim: number,
  deflate: readonly Float64Array[],
  tol: number,
  maxIter: number,
  seed: number,
  offset = 0,
): Pair {
  let init: Float64Array | undefined;
  let prev = Number.NaN;
  let last: Pair | undefined;
  for (let it = 1; it <= maxIter; it++) {
    const r = powerIteration(matvec, dim, {
      tol,
      maxIter: 1,
      seed,
      deflate,
      ...(init === undefined ? {} : { init }),
    });
    // With a shift (offset ≠ 0), judge convergence on the eigenvalue of H itself, value + offset:
    // the shifted value is dominated by the shift and changes by a tiny relative amount long
    // before the estimate of H's eigenvalue has settled.
    const scale = Math.abs(r.value + offset);
    const rel = scale > 0 ? r.residual / scale : r.residual;
    const change = Math.abs(r.value - prev) / (Math.abs(prev + offset) + 1e-6);
    last = {
      value: r.value,
      vector: r.vector,
      iterations: it,
      converged: (offset === 0 ? r.converged : rel <= tol) || change < tol,
      residual: rel,
    };
    if (last.converged) break;
    prev = r.value;
    init = r.vector;
  }
  return last as Pair;
}

/**
 * The Hessian's eigenvalues of largest magnitude, with deflation, and the two ends of its spectrum:
 * `H v = λ v` solved through Hessian-vector products by `@gflow/core`'s `powerIteration` or
 * `lanczos`, as PyHessian does (Yao et al. 2020).
 *
 * The other end of the spectrum comes from power iteration on `H − λ_1 I` (its dominant eigenvalue
 * is `λ_min − λ_max` when λ_1 = λ_max > 0), or from the extreme Ritz values with Lanczos; the
 * condition estimate follows. Parameters are left bit-identical; no tensors are left behind.
 *
 * @param lossFn - The loss at the current parameter values, or `{ loss(batch), batches }`.
 * @param params - The parameters (a `Module` or a list of `Parameter`s).
 * @param options - `k`, `method`, `tol`, `maxIter`, `seed`, `extremes`, `returnVectors`, `mode`, `eps`.
 * @returns Eigenvalues with iterations, convergence flags and residuals; λ_max, λ_min, the condition estimate.
 * @throws InvalidArgumentError (from `@gflow/core`) when `k` is not an integer in [1, parameter count] or an option is invalid.
 * @throws NonFiniteError (from `@gflow/core`) when the loss at the parameters or a product is not finite.
 * @example
 * ```ts
 * const { eigenvalues, lambdaMin, conditionNumber } = hessianEigenvalues(lossFn, model, { k: 3 });
 * ```
 * @see Yao, Gholami, Keutzer, Mahoney 2020, "PyHessian: Neural Networks Through the Lens of the Hessian".
 */
export function hessianEigenvalues<B>(
  lossFn: Objective<B>,
  params: ParamsLike,
  options: HessianEigenvaluesOptions = {},
): HessianEigenvaluesResult {
  const fn = 'hessianEigenvalues';
  const method = options.method ?? 'power';
  if (method !== 'power' && method !== 'lanczos') {
    throw new InvalidArgumentError(
      `${fn}: options.method must be 'power' or 'lanczos', got ${describeValue(method)}`,
    );
  }
  const tol = options.tol ?? 1e-3;
  if (typeof tol !== 'number' || !(tol > 0) || !Number.isFinite(tol)) {
    throw new InvalidArgumentError(
      `${fn}: options.tol must be a positive finite number, got ${describeValue(tol)}`,
    );
  }
  const maxIter = options.maxIter ?? 100;
  if (!Number.isInteger(maxIter) || maxIter < 1) {
    throw new InvalidArgumentError(
      `${fn}: options.maxIter must be an integer ≥ 1, got ${describeValue(maxIter)}`,
    );
  }
  const seed = options.seed ?? 0;
  const k = options.k ?? 1;
  const op = new HessianOperator(fn, lossFn as Objective<unknown>, params, options);
  try {
    const dim = op.dim;
    if (!Number.isInteger(k) || k < 1 || k > dim) {
      throw new InvalidArgumentError(
        `${fn}: options.k must be an integer in [1, ${dim}] (the parameter count), got ${describeValue(k)}`,
      );
    }
    const loss = op.centerLoss();
    const extremes = options.extremes ?? true;
    const pairs: Pair[] = [];
    let lambdaMax: number | null = null;
    let lambdaMin: number | null = null;
    let extremeConverged: boolean | null = null;
    if (method === 'power') {
      const found: Float64Array[] = [];
      for (let i = 0; i < k; i++) {
        const p = power(op.matvec, dim, found, tol, maxIter, seed + i);
        pairs.push(p);
        const q = Float64Array.from(p.vector);
        projectOut(q, found);
        const n = norm(q);
        if (n > 0) for (let j = 0; j < dim; j++) q[j] = (q[j] as number) / n;
        found.push(q);
      }
      if (extremes && dim > 1) {
        const top = pairs[0] as Pair;
        const shift = top.value;
        const shifted = (v: Float64Array): Float64Array => {
          const hv = op.matvec(v);
          for (let j = 0; j < dim; j++) hv[j] = (hv[j] as number) - shift * (v[j] as number);
          return hv;
        };
        const other = power(shifted, dim, [], tol, maxIter, seed + k, shift);
        const end = other.value + shift;
        lambdaMax = Math.max(shift, end);
        lambdaMin = Math.min(shift, end);
        extremeConverged = other.converged;
        // The deflated top-k may already hold a value beyond the shifted search's estimate (the
        // shifted problem converges slowly when the bulk sits near λ_1): the ends are at least
        // as extreme as every eigenvalue found.
        for (const p of pairs) {
          if (p.value < lambdaMin) {
            lambdaMin = p.value;
            extremeConverged = p.converged && top.converged;
          }
          if (p.value > lambdaMax) lambdaMax = p.value;
        }
      } else if (extremes) {
        lambdaMax = lambdaMin = (pairs[0] as Pair).value;
        extremeConverged = (pairs[0] as Pair).converged;
      }
    } else {
      const steps = Math.min(dim, Math.max(maxIter, k));
      const run = lanczos(op.matvec, dim, { steps, reorthogonalize: true, seed });
      const ritz = Array.from(run.ritzValues);
      const byMagnitude = ritz
        .map((_, i) => i)
        .sort((a, b) => Math.abs(ritz[b] as number) - Math.abs(ritz[a] as number));
      const check = (i: number): Pair => {
        const y = run.ritzVectors[i] as Float64Array;
        const theta = ritz[i] as number;
        const rel = residual(op.matvec(y), theta, y) / Math.max(Math.abs(theta), Number.MIN_VALUE);
        return { value: theta, vector: y, iterations: run.steps, converged: rel <= tol, residual: rel };
      };
      if (k > run.steps) {
        throw new InvalidArgumentError(
          `${fn}: options.k must be at most the ${run.steps} Lanczos steps taken (the Krylov space closed early), got ${k}`,
        );
      }
      for (let i = 0; i < k; i++) pairs.push(check(byMagnitude[i] as number));
      if (extremes) {
        const lo = check(0);
        const hi = check(ritz.length - 1);
        lambdaMin = lo.value;
        lambdaMax = hi.value;
        extremeConverged = lo.converged && hi.converged;
      }
    }
    const conditionNumber =
      lambdaMax === null || lambdaMin === null
        ? null
        : (() => {
            const a = Math.abs(lambdaMax);
            const b = Math.abs(lambdaMin);
            const small = Math.min(a, b);
            return small > 0 ? Math.max(a, b) / small : null;
          })();
    const negativeRatio =
      lambdaMax === null || lambdaMin === null
        ? null
        : lambdaMin < 0
          ? lambdaMax !== 0
            ? Math.abs(lambdaMin / lambdaMax)
            : null
          : 0;
    const order = pairs
      .map((_, i) => i)
      .sort((a, b) => Math.abs((pairs[b] as Pair).value) - Math.abs((pairs[a] as Pair).value));
    const sorted = order.map((i) => pairs[i] as Pair);
    return {
      eigenvalues: sorted.map((p) => p.value),
      iterations: sorted.map((p) => p.iterations),
      converged: sorted.map((p) => p.converged),
      residuals: sorted.map((p) => p.residual),
      ...(options.returnVectors
        ? { eigenvectors: sorted.map((p) => toParameterVector(op.layout, p.vector)) }
        : {}),
      lambdaMax,
      lambdaMin,
      extremeConverged,
      conditionNumber,
      negativeRatio,
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
