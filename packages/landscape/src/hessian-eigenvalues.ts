import { describeValue, InvalidArgumentError } from '@gflow/core';
import { readOptions } from '@gflow/core/internal';
import {
  driveAsync,
  driveSync,
  type Pair,
  powerResidual,
  type RestartedLanczosOptions,
  rayleighRitz,
  type Steps,
  verifiedLanczos,
} from './internal/eigensolvers.js';
import { HessianOperator } from './internal/hessian-operator.js';
import { toParameterVector } from './internal/params.js';
import { norm, projectOut } from './internal/vec.js';
import type { HvpOptions, Objective, ParameterVector, ParamsLike } from './types.js';

/** Options of {@link hessianEigenvalues}. */
export interface HessianEigenvaluesOptions extends HvpOptions {
  /** How many eigenvalues of largest magnitude (default `1`). */
  readonly k?: number;
  /**
   * `'lanczos'` (default): Lanczos with full reorthogonalization and thick restart, extended until
   * every wanted Ritz pair passes the residual test or the steps run out, then verified by one
   * more Lanczos pass orthogonal to the pairs found (see `verificationPasses`). `'power'`: power
   * iteration with deflation, one eigenvalue after the other (PyHessian's method), each stopped by
   * the same residual test. On the nets measured in the README Lanczos was both the faster and the
   * more accurate: power iteration needs `log(tol)/log(|λ_{i+1}/λ_i|)` products per eigenvalue,
   * which is thousands when two eigenvalues are close.
   */
  readonly method?: 'power' | 'lanczos';
  /**
   * Convergence tolerance on the relative residual `‖Hv − λv‖ / |λ|` (default `1e-3`), the only
   * rule by which an eigenvalue is marked converged; the residual comes from an explicit product
   * `Hv` of the returned vector. It bounds the eigenvalue's error by `tol·|λ|` (Weyl), and by about
   * `(tol·λ)² / gap` when the nearest other eigenvalue is `gap` away. Hessian-vector products are
   * computed in float32, so residuals below a floor of about `1e-7·‖H‖/|λ|` (in practice `1e-6` to
   * `1e-5` for the top eigenvalues of a network) cannot be reached: a smaller `tol` is kept as asked
   * and the eigenvalue reported as not converged, with the residual reached.
   */
  readonly tol?: number;
  /**
   * Hessian-vector products per eigenvalue sought (default `100`): power iteration spends at most
   * `maxIter` on each of the `k` eigenvalues and on the other end; Lanczos takes at most
   * `maxIter · (k + 1)` steps (`maxIter · k` with `extremes: false`) for its first search and as
   * many again at most for each verification pass. The explicit residual
   * checks (one product per pair checked) come on top and are counted in `hessianVectorProducts`.
   */
  readonly maxIter?: number;
  /**
   * Lanczos only: the most basis vectors kept (default `max(30, 2k + 14)`, at most the parameter
   * count); when full, the basis restarts from the wanted Ritz vectors and their neighbours. Memory is
   * `basisSize` float64 vectors as large as the model.
   */
  readonly basisSize?: number;
  /** Seed of the start vectors (default `0`). */
  readonly seed?: number;
  /** Also find the other end of the spectrum and the condition estimate (default `true`). */
  readonly extremes?: boolean;
  /** Return the eigenvectors (default `false`: they are as large as the model). */
  readonly returnVectors?: boolean;
}

/** Why {@link hessianEigenvalues} stopped. */
export type EigenStopReason =
  | 'converged'
  | 'max-iterations'
  | 'residual-floor'
  | 'krylov-exhausted'
  | 'verification-limit';

/** The result of {@link hessianEigenvalues}: plain data. */
export interface HessianEigenvaluesResult {
  /** The `k` eigenvalues of largest magnitude, signed, by decreasing magnitude. */
  readonly eigenvalues: readonly number[];
  /**
   * Per eigenvalue: Hessian-vector products spent (power) or Lanczos steps in all, the
   * verification passes' included (lanczos).
   */
  readonly iterations: readonly number[];
  /** Per eigenvalue: whether its relative residual is at most `tol` (nothing else sets it). */
  readonly converged: readonly boolean[];
  /**
   * Per eigenvalue: the relative residual `‖Hv − λv‖ / |λ|` of the returned pair, from an explicit
   * product (`Infinity` when λ = 0 and the residual is not).
   */
  readonly residuals: readonly number[];
  /** The eigenvectors (unit, shaped like the parameters) when `returnVectors` was set. */
  readonly eigenvectors?: readonly ParameterVector[];
  /** The largest eigenvalue (algebraic), or `null` when `extremes` is off and it was not found. */
  readonly lambdaMax: number | null;
  /**
   * The smallest eigenvalue (algebraic; the most negative one when H is indefinite), found by
   * power iteration on the shifted operator `H − λ_max I` or as Lanczos' lowest Ritz value, or `null`.
   */
  readonly lambdaMin: number | null;
  /** Whether both ends met `tol` (their relative residuals, checked like the eigenvalues'). */
  readonly extremeConverged: boolean | null;
  /** The relative residuals of `[λ_min, λ_max]`, or `null` when `extremes` is off. */
  readonly extremeResiduals: readonly [number, number] | null;
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
  /** The tolerance the residuals were held to (as given: never relaxed). */
  readonly tol: number;
  /**
   * Why the search stopped: `'converged'` (every pair met `tol`), `'max-iterations'`,
   * `'residual-floor'` (Lanczos: its residual estimates fell 1000× below `tol` while the checked
   * residuals did not: float32 products cannot do better), `'krylov-exhausted'` (the Krylov space
   * is the whole parameter space) or `'verification-limit'` (Lanczos: every pair met `tol` but the
   * set was not confirmed: `k + 2` verification passes each found a missed eigenvalue, or the last
   * pass did not converge; the pairs may then not be the `k` of largest magnitude).
   */
  readonly stopReason: EigenStopReason;
  /**
   * Lanczos: how many verification passes ran after the pairs converged (`1` when the first found
   * nothing missed; each further one follows a missed eigenvalue, e.g. a second copy of a repeated
   * one); `0` for power iteration and when the pairs did not converge.
   */
  readonly verificationPasses: number;
  /** How Hessian-vector products were computed. */
  readonly mode: 'exact' | 'finite-difference';
  /** Why that mode. */
  readonly modeReason: string;
  /** Hessian-vector products spent in all. */
  readonly hessianVectorProducts: number;
}

/**
 * The Hessian's eigenvalues of largest magnitude and the two ends of its spectrum, `H v = λ v`
 * solved through Hessian-vector products by restarted Lanczos (default) or power iteration with
 * deflation, as PyHessian does (Yao et al. 2020); an eigenvalue is marked converged only when its
 * relative residual `‖Hv − λv‖ / |λ| ≤ tol`.
 *
 * Lanczos (full reorthogonalization, thick restart, Wu & Simon 2000) extends its Krylov basis until
 * the `k` Ritz pairs of largest magnitude (and, with `extremes`, the lowest and highest) pass an
 * explicit residual check, each with one product `Hy`; the value reported is the Rayleigh quotient
 * `yᵀHy` of that check. A single start vector sees one direction per eigenspace, so a second copy
 * of a repeated eigenvalue appears only through rounding and the pairs can each pass while the set
 * misses it (diag(5, 5, 4, 2, …) gave 5, 4, 2). So the converged pairs are then locked (as ARPACK
 * and SLEPc do) and one more Lanczos pass runs on `(I − LLᵀ) H (I − LLᵀ)` from a fresh random
 * vector orthogonal to them: the set is accepted (`stopReason: 'converged'`) only when that pass
 * converges without finding an eigenvalue larger in magnitude than the k-th, or beyond an end, by
 * more than `tol` relative. What it finds joins the set by Rayleigh–Ritz and another pass follows,
 * at most `k + 2` in all, else `'verification-limit'`. The guarantee: every copy of every
 * eigenvalue in the top k, up to `tol`, unless the fresh vectors miss an eigenspace entirely
 * (probability zero in exact arithmetic). The cost: one more Krylov pass, about as many products
 * as the first search or more (24 → 44 for the tanh MLP 5-8-3 with `k: 3`, 24 → 54 for a conv +
 * batch-norm net), and one more per missed copy.
 * Power iteration stops an eigenvalue when the residual of H itself (not of
 * the deflated operator) at the current vector is at most `tol`; the other end comes from power
 * iteration on `H − λ_1 I`. With float32 products a `tol` below about `1e-7·‖H‖/|λ|` cannot be met:
 * the pair is then reported with `converged: false` and the residual it reached, never with a
 * relaxed tolerance. Parameters are left bit-identical; no tensors are left behind.
 *
 * @param lossFn - The loss at the current parameter values, or `{ loss(batch), batches }`.
 * @param params - The parameters (a `Module` or a list of `Parameter`s).
 * @param options - `k`, `method`, `tol`, `maxIter`, `basisSize`, `seed`, `extremes`, `returnVectors`, `mode`, `eps`.
 * @returns Eigenvalues with iterations, convergence flags and residuals; λ_max, λ_min, the condition estimate, why it stopped.
 * @throws InvalidArgumentError (from `@gflow/core`) when `k` is not an integer in [1, parameter count] or an option is invalid.
 * @throws NonFiniteError (from `@gflow/core`) when the loss at the parameters or a product is not finite.
 * @example
 * ```ts
 * const r = hessianEigenvalues(lossFn, model, { k: 3 });
 * r.eigenvalues; // the three of largest magnitude
 * r.converged; // true only where r.residuals[i] ≤ 1e-3
 * ```
 * @see Yao, Gholami, Keutzer, Mahoney 2020, "PyHessian: Neural Networks Through the Lens of the Hessian"; Wu & Simon 2000, "Thick-restart Lanczos method for large symmetric eigenvalue problems"; Parlett 1998, "The Symmetric Eigenvalue Problem" §4 (residual bounds).
 */
export function hessianEigenvalues<B>(
  lossFn: Objective<B>,
  params: ParamsLike,
  options: HessianEigenvaluesOptions = {},
): HessianEigenvaluesResult {
  const fn = 'hessianEigenvalues';
  const read = readEigenOptions(fn, options);
  const op = new HessianOperator(fn, lossFn as Objective<unknown>, params, options);
  try {
    const search = eigenSearch(fn, op, read, options);
    const loss = op.centerLoss();
    return eigenResult(op, read, options, loss, driveSync(search, op.matvec));
  } finally {
    op.dispose();
  }
}

/**
 * {@link hessianEigenvalues} with asynchronous reads: the same search (one implementation,
 * driven product by product), with each Hessian-vector product, the loss and the engine's
 * second-derivative self-check read back by `await tensor.data()` instead of `dataSync()`. The
 * results are those of {@link hessianEigenvalues} to the last bit on the same engine. In a
 * browser the main thread stays free while the GPU computes, and on webgpu tfjs then reads
 * through a mapped buffer rather than its synchronous canvas copy (which loses the device in
 * headless Chromium over SwiftShader: see `@gflow/backend`'s README). Do not change the
 * parameters while the promise is pending: they are moved in place for finite differences.
 *
 * @param lossFn - The loss at the current parameter values, or `{ loss(batch), batches }`.
 * @param params - The parameters (a `Module` or a list of `Parameter`s).
 * @param options - As {@link hessianEigenvalues}.
 * @returns As {@link hessianEigenvalues}.
 * @throws InvalidArgumentError, NonFiniteError (from `@gflow/core`): as {@link hessianEigenvalues} (the promise rejects).
 * @example
 * ```ts
 * const r = await hessianEigenvaluesAsync(lossFn, model, { k: 1, extremes: false });
 * r.eigenvalues[0]; // λ_max, as hessianEigenvalues gives it
 * ```
 * @see Yao, Gholami, Keutzer, Mahoney 2020, "PyHessian: Neural Networks Through the Lens of the Hessian"; Wu & Simon 2000, "Thick-restart Lanczos method for large symmetric eigenvalue problems".
 */
export async function hessianEigenvaluesAsync<B>(
  lossFn: Objective<B>,
  params: ParamsLike,
  options: HessianEigenvaluesOptions = {},
): Promise<HessianEigenvaluesResult> {
  const fn = 'hessianEigenvaluesAsync';
  const read = readEigenOptions(fn, options);
  const op = new HessianOperator(fn, lossFn as Objective<unknown>, params, options, 'async');
  try {
    await op.ready();
    const search = eigenSearch(fn, op, read, options);
    const loss = await op.centerLossAsync();
    return eigenResult(op, read, options, loss, await driveAsync(search, op.matvecAsync));
  } finally {
    op.dispose();
  }
}

type EigenOptions = ReturnType<typeof readEigenOptions>;

/** What the search found: the pairs, the ends and why it stopped. */
interface Found {
  pairs: Pair[];
  lo: Pair | undefined;
  hi: Pair | undefined;
  stopReason: EigenStopReason;
  verificationPasses: number;
}

/** Checks `k` and the basis size against the dimension, and returns the search to drive. */
function eigenSearch(
  fn: string,
  op: HessianOperator,
  o: EigenOptions,
  options: HessianEigenvaluesOptions,
): Steps<Found> {
  const { method, tol, maxIter, seed, k, basisSizeAsked } = o;
  const dim = op.dim;
  if (!Number.isInteger(k) || k < 1 || k > dim) {
    throw new InvalidArgumentError(
      `${fn}: options.k must be an integer in [1, ${dim}] (the parameter count), got ${describeValue(k)}`,
    );
  }
  const extremes = options.extremes ?? true;
  const basisSize = Math.min(dim, basisSizeAsked ?? Math.max(30, 2 * k + 14));
  if (method === 'lanczos' && basisSize < Math.min(dim, k + 4)) {
    throw new InvalidArgumentError(
      `${fn}: options.basisSize must be at least k + 4 = ${k + 4} (the wanted pairs, both ends and room to grow) or the parameter count ${dim}, got ${basisSize}`,
    );
  }
  if (method === 'power') return powerEigenpairs(dim, k, tol, maxIter, seed, extremes);
  return lanczosEigenpairs(dim, {
    k,
    ends: extremes,
    tol,
    maxSteps: maxIter * (k + (extremes ? 1 : 0)),
    basisSize,
    seed,
  });
}

function* lanczosEigenpairs(dim: number, o: RestartedLanczosOptions): Steps<Found> {
  const run = yield* verifiedLanczos(dim, o);
  return {
    pairs: run.top,
    lo: run.min,
    hi: run.max,
    stopReason: run.stopReason,
    verificationPasses: run.verificationPasses,
  };
}

/** The result object, from the search's findings. */
function eigenResult(
  op: HessianOperator,
  o: EigenOptions,
  options: HessianEigenvaluesOptions,
  loss: number,
  found: Found,
): HessianEigenvaluesResult {
  const { pairs, lo, hi, stopReason, verificationPasses } = found;
  const lambdaMax = hi?.value ?? null;
  const lambdaMin = lo?.value ?? null;
  const { conditionNumber, negativeRatio } = conditioning(lambdaMax, lambdaMin);
  const sorted = pairs.slice().sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
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
    extremeConverged: lo && hi ? lo.converged && hi.converged : null,
    extremeResiduals: lo && hi ? [lo.residual, hi.residual] : null,
    conditionNumber,
    negativeRatio,
    loss,
    dim: op.dim,
    method: o.method,
    tol: o.tol,
    stopReason,
    verificationPasses,
    mode: op.mode,
    modeReason: op.reason,
    hessianVectorProducts: op.count,
  };
}

/** hessianEigenvalues' options, checked (k against the dimension is checked once it is known). */
function readEigenOptions(
  fn: string,
  options: HessianEigenvaluesOptions,
): {
  method: 'power' | 'lanczos';
  tol: number;
  maxIter: number;
  seed: number;
  k: number;
  basisSizeAsked: number | undefined;
} {
  readOptions(fn, options);
  const method = options.method ?? 'lanczos';
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
  if (typeof seed !== 'number' || !Number.isFinite(seed)) {
    throw new InvalidArgumentError(`${fn}: options.seed must be a finite number, got ${describeValue(seed)}`);
  }
  const basisSizeAsked = options.basisSize;
  if (basisSizeAsked !== undefined && (!Number.isInteger(basisSizeAsked) || basisSizeAsked < 2)) {
    throw new InvalidArgumentError(
      `${fn}: options.basisSize must be an integer ≥ 2, got ${describeValue(basisSizeAsked)}`,
    );
  }
  return { method, tol, maxIter, seed, k: options.k ?? 1, basisSizeAsked };
}

/**
 * The power-iteration path: k deflated power iterations with residual tests, Rayleigh–Ritz on
 * their span, and (with `extremes`) the other end of the spectrum by a shifted power iteration.
 */
function* powerEigenpairs(
  dim: number,
  k: number,
  tol: number,
  maxIter: number,
  seed: number,
  extremes: boolean,
): Steps<Found> {
  let pairs: Pair[] = [];
  let lo: Pair | undefined;
  let hi: Pair | undefined;
  const found: Float64Array[] = [];
  for (let i = 0; i < k; i++) {
    const p = yield* powerResidual(dim, found, tol, maxIter, seed + i);
    pairs.push(p);
    const q = Float64Array.from(p.vector);
    projectOut(q, found);
    const n = norm(q);
    if (n > 0) for (let j = 0; j < dim; j++) q[j] = (q[j] as number) / n;
    found.push(q);
  }
  // Each deflated eigenvector inherits the error of those before it; Rayleigh–Ritz on their
  // span, from the products already taken, removes that part.
  pairs = rayleighRitz(pairs, tol).sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
  const top = pairs[0] as Pair;
  if (extremes && dim > 1) {
    // The dominant eigenvalue of H − λ_1 I is λ_other − λ_1, the other end of the spectrum.
    const other = yield* powerResidual(dim, [], tol, maxIter, seed + k, top.value);
    const ends = [top, other, ...pairs];
    lo = ends.reduce((a, b) => (b.value < a.value ? b : a));
    hi = ends.reduce((a, b) => (b.value > a.value ? b : a));
  } else if (extremes) {
    lo = hi = top;
  }
  const all = [...pairs, ...(lo && hi ? [lo, hi] : [])];
  const stopReason = all.every((p) => p.converged) ? 'converged' : 'max-iterations';
  return { pairs, lo, hi, stopReason, verificationPasses: 0 };
}

/** |λ|max/|λ|min over the two ends, and |λ_min/λ_max| when λ_min < 0 (0 when it is not). */
function conditioning(
  lambdaMax: number | null,
  lambdaMin: number | null,
): { conditionNumber: number | null; negativeRatio: number | null } {
  if (lambdaMax === null || lambdaMin === null) return { conditionNumber: null, negativeRatio: null };
  const a = Math.abs(lambdaMax);
  const b = Math.abs(lambdaMin);
  const small = Math.min(a, b);
  return {
    conditionNumber: small > 0 ? Math.max(a, b) / small : null,
    negativeRatio: lambdaMin < 0 ? (lambdaMax !== 0 ? Math.abs(lambdaMin / lambdaMax) : null) : 0,
  };
}
