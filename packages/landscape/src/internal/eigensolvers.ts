// The two eigensolvers behind hessianEigenvalues, on flat float64 vectors. Both judge convergence
// by one rule only, the relative residual ‖Hy − θy‖ / |θ| of the pair they return, computed from an
// explicit product H·y (never from an estimate, never from how much θ changed).
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { Random } from './random.js';
import { dot, norm, projectOut } from './vec.js';

/** A Hessian-vector product on flat float64 vectors (a new array; `v` is left as it is). */
export type Matvec = (v: Float64Array) => Float64Array;

/**
 * A solver written once for synchronous and asynchronous products: it yields each vector to
 * multiply and receives the product as the result of `yield` (run it with {@link driveSync} or
 * {@link driveAsync}). The solvers keep no resources, so a product that throws simply ends them.
 */
export type Steps<T> = Generator<Float64Array, T, Float64Array>;

/** Runs a solver with synchronous products. */
export function driveSync<T>(g: Steps<T>, matvec: Matvec): T {
  let step = g.next();
  while (!step.done) step = g.next(matvec(step.value));
  return step.value;
}

/** Runs a solver with asynchronous products (each awaited before the solver goes on). */
export async function driveAsync<T>(
  g: Steps<T>,
  matvec: (v: Float64Array) => Promise<Float64Array>,
): Promise<T> {
  let step = g.next();
  while (!step.done) step = g.next(await matvec(step.value));
  return step.value;
}

/** A solver on `(I − LLᵀ) H (I − LLᵀ)`: each vector and each product projected off the orthonormal `locked`. */
function* projected<T>(inner: Steps<T>, locked: readonly Float64Array[]): Steps<T> {
  let step = inner.next();
  while (!step.done) {
    const u = Float64Array.from(step.value);
    projectOut(u, locked);
    const w = yield u;
    projectOut(w, locked);
    step = inner.next(w);
  }
  return step.value;
}

/** An eigenpair estimate and its checked relative residual. */
export interface Pair {
  value: number;
  vector: Float64Array;
  /** Products spent on this pair (power) or Lanczos steps in all (lanczos). */
  iterations: number;
  converged: boolean;
  /** ‖Hy − θy‖ / |θ| from an explicit product (`Infinity` when θ = 0 and the residual is not). */
  residual: number;
  /** `H y` (power iteration keeps it for the final Rayleigh–Ritz step). */
  product?: Float64Array;
}

/** Why a solver stopped. */
export type StopReason = 'converged' | 'max-iterations' | 'residual-floor' | 'krylov-exhausted';

function relative(res: number, value: number): number {
  const scale = Math.abs(value);
  if (res === 0) return 0;
  return scale > 0 ? res / scale : Number.POSITIVE_INFINITY;
}

/**
 * ‖Hy − θy‖ in float64. One pass of plain squares while their sum lies well inside float64's
 * range (then no square overflowed, and those that underflowed are below 1e-250 of the sum);
 * otherwise again, scaled by the largest |component| before squaring.
 */
function residualNorm(hy: Float64Array, theta: number, y: Float64Array): number {
  const s = residualSquares(hy, theta, y);
  return s > 1e-250 && s < 1e250 ? Math.sqrt(s) : scaledResidualNorm(hy, theta, y);
}

/** Σ (Hy − θy)ᵢ², unscaled. */
function residualSquares(hy: Float64Array, theta: number, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    const d = (hy[i] as number) - theta * (y[i] as number);
    s += d * d;
  }
  return s;
}

/** ‖Hy − θy‖ scaled by the largest |component| before squaring (no overflow or underflow). */
function scaledResidualNorm(hy: Float64Array, theta: number, y: Float64Array): number {
  let big = 0;
  for (let i = 0; i < y.length; i++)
    big = Math.max(big, Math.abs((hy[i] as number) - theta * (y[i] as number)));
  if (big === 0 || !Number.isFinite(big)) return big;
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    const d = ((hy[i] as number) - theta * (y[i] as number)) / big;
    s += d * d;
  }
  return big * Math.sqrt(s);
}

function unit(v: Float64Array): boolean {
  const n = norm(v);
  if (!(n > 0) || !Number.isFinite(n)) return false;
  for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / n;
  return true;
}

/** A seeded random unit vector orthogonal to `basis` (several tries; `undefined` if none exists). */
function freshVector(rng: Random, dim: number, basis: readonly Float64Array[]): Float64Array | undefined {
  for (let t = 0; t < 4; t++) {
    const v = rng.normalVector(dim);
    const n0 = norm(v);
    projectOut(v, basis);
    if (norm(v) > 1e-8 * n0 && unit(v)) return v;
  }
  return undefined;
}

/** Checks a pair with one explicit product: its Rayleigh quotient yᵀHy and relative residual. */
function* check(y: Float64Array): Steps<{ value: number; residual: number }> {
  const hy = yield y;
  const value = dot(y, hy);
  return { value, residual: relative(residualNorm(hy, value, y), value) };
}

/**
 * Power iteration on `H − shift·I` with the vectors of `deflate` projected out, one product per
 * step. Step t computes `H v_t`, the Rayleigh quotient `λ_t = v_tᵀ H v_t` and the residual
 * `‖H v_t − λ_t v_t‖ / |λ_t|` of H itself (not of the deflated operator); it stops when that is at
 * most `tol`, or after `maxIter` products. The returned vector is the one the residual belongs to.
 */
export function* powerResidual(
  dim: number,
  deflate: readonly Float64Array[],
  tol: number,
  maxIter: number,
  seed: number,
  shift = 0,
): Steps<Pair> {
  const rng = new Random(seed);
  const start = freshVector(rng, dim, deflate);
  // Unreachable while fewer than dim vectors are deflated (k ≤ dim): a clear failure, not a NaN.
  if (start === undefined)
    throw new Error(`powerResidual: no start vector outside the ${deflate.length} deflated ones`);
  let v: Float64Array = start;
  let best: Pair | undefined;
  for (let it = 1; it <= maxIter; it++) {
    const hv: Float64Array = yield v;
    // Residual of H (plus shift) at v: the deflated space is not projected out of it.
    const value = shiftedRayleigh(v, hv, shift) + shift;
    const res = relative(residualNorm(hv, value, v), value);
    const pair: Pair = {
      value,
      vector: v,
      iterations: it,
      converged: res <= tol,
      residual: res,
      product: hv,
    };
    best = pair;
    if (pair.converged) break;
    const u = shifted(hv, v, shift);
    projectOut(u, deflate);
    if (!unit(u)) break; // H v ∈ span(deflate): v is in the null space of the deflated operator
    v = u;
  }
  return best as Pair;
}

// The loops of powerResidual live in functions of their own: inside the generator V8 ran them
// several times slower for the first calls of a process (BENCHMARKS.md, "mlp-hessian-top").

/** vᵀ(Hv − shift·v). */
function shiftedRayleigh(v: Float64Array, hv: Float64Array, shift: number): number {
  let rq = 0;
  for (let i = 0; i < v.length; i++) rq += (v[i] as number) * ((hv[i] as number) - shift * (v[i] as number));
  return rq;
}

/** A new array Hv − shift·v. */
function shifted(hv: Float64Array, v: Float64Array, shift: number): Float64Array {
  const u = Float64Array.from(hv);
  if (shift !== 0) for (let i = 0; i < u.length; i++) u[i] = (u[i] as number) - shift * (v[i] as number);
  return u;
}

/**
 * Rayleigh–Ritz on the span of the deflated power-iteration vectors, from the products already
 * taken (no new ones): with V the (orthonormal) vectors and HV their products, the eigenpairs
 * (θ, s) of `M = VᵀHV` give refined pairs `y = V s` with `Hy = (HV) s`. Each pair's error along
 * the other vectors, which deflation hands on to the next eigenvalue, is removed; the residuals
 * are recomputed from `Hy` and judged by `tol` as before.
 */
export function rayleighRitz(pairs: readonly Pair[], tol: number): Pair[] {
  const k = pairs.length;
  if (k < 2 || pairs.some((p) => p.product === undefined)) return pairs.slice();
  const dim = (pairs[0] as Pair).vector.length;
  const M = new Matrix(k, k);
  for (let i = 0; i < k; i++) {
    for (let j = i; j < k; j++) {
      const a = dot((pairs[i] as Pair).vector, (pairs[j] as Pair).product as Float64Array);
      const b = dot((pairs[j] as Pair).vector, (pairs[i] as Pair).product as Float64Array);
      M.set(i, j, 0.5 * (a + b));
      M.set(j, i, 0.5 * (a + b));
    }
  }
  const e = new EigenvalueDecomposition(M, { assumeSymmetric: true });
  const S = e.eigenvectorMatrix;
  return e.realEigenvalues.map((_, c) => {
    const y = new Float64Array(dim);
    const hy = new Float64Array(dim);
    let heaviest = 0;
    for (let i = 0; i < k; i++) {
      const a = S.get(i, c);
      if (Math.abs(a) > Math.abs(S.get(heaviest, c))) heaviest = i;
      const v = (pairs[i] as Pair).vector;
      const hv = (pairs[i] as Pair).product as Float64Array;
      for (let t = 0; t < dim; t++) {
        y[t] = (y[t] as number) + a * (v[t] as number);
        hy[t] = (hy[t] as number) + a * (hv[t] as number);
      }
    }
    const n = norm(y);
    for (let t = 0; t < dim; t++) {
      y[t] = (y[t] as number) / n;
      hy[t] = (hy[t] as number) / n;
    }
    const value = dot(y, hy);
    const res = relative(residualNorm(hy, value, y), value);
    return {
      value,
      vector: y,
      iterations: (pairs[heaviest] as Pair).iterations,
      converged: res <= tol,
      residual: res,
      product: hy,
    };
  });
}

/** Options of {@link restartedLanczos}. */
export interface RestartedLanczosOptions {
  /** The number of Ritz pairs of largest magnitude wanted. */
  k: number;
  /** Also the algebraic smallest and largest Ritz pairs. */
  ends: boolean;
  tol: number;
  /** Lanczos steps (basis expansions, one product each) allowed in all. */
  maxSteps: number;
  /** The largest Krylov basis kept in memory (thick restart when full). */
  basisSize: number;
  seed: number;
  /**
   * Orthonormal vectors the search stays orthogonal to (the start vector and every fresh one are
   * drawn outside them); the products must project them out too (`projected`). Default none.
   */
  deflate?: readonly Float64Array[];
}

/** The result of {@link restartedLanczos}. */
export interface RestartedLanczosResult {
  /** The `k` pairs of largest magnitude, by decreasing magnitude. */
  top: Pair[];
  /** The algebraic smallest and largest pairs (when `ends`). */
  min: Pair | undefined;
  max: Pair | undefined;
  steps: number;
  restarts: number;
  /** Products spent on explicit residual checks. */
  checks: number;
  stopReason: StopReason;
}

interface Ritz {
  values: number[];
  vectors: number[][]; // vectors[c] is the c-th eigenvector of T (length m)
}

function ritzOf(T: number[][], m: number): Ritz {
  const sub = new Matrix(m, m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) sub.set(i, j, (T[i] as number[])[j] as number);
  const e = new EigenvalueDecomposition(sub, { assumeSymmetric: true });
  const values = e.realEigenvalues;
  const V = e.eigenvectorMatrix;
  const vectors = values.map((_, c) => Array.from({ length: m }, (_, r) => V.get(r, c)));
  return { values, vectors };
}

/** The indices of the wanted pairs: the k of largest magnitude, then the two ends. */
function wantedOf(values: readonly number[], k: number, ends: boolean) {
  const byMag = values
    .map((_, i) => i)
    .sort((a, b) => Math.abs(values[b] as number) - Math.abs(values[a] as number));
  const top = byMag.slice(0, Math.min(k, values.length));
  let lo = 0;
  let hi = 0;
  values.forEach((v, i) => {
    if (v < (values[lo] as number)) lo = i;
    if (v > (values[hi] as number)) hi = i;
  });
  const all = new Set(top);
  if (ends) {
    all.add(lo);
    all.add(hi);
  }
  return { top, lo, hi, all: [...all], byMag };
}

function combine(V: readonly Float64Array[], s: readonly number[], dim: number): Float64Array {
  const y = new Float64Array(dim);
  for (let c = 0; c < s.length; c++) {
    const a = s[c] as number;
    const q = V[c] as Float64Array;
    for (let i = 0; i < dim; i++) y[i] = (y[i] as number) + a * (q[i] as number);
  }
  unit(y);
  return y;
}

/**
 * Lanczos with full reorthogonalization and thick restart (Wu & Simon 2000), until the wanted Ritz
 * pairs pass an explicit residual check or the steps run out.
 *
 * The basis V is kept orthonormal by classical Gram–Schmidt applied twice; the projected matrix
 * T = VᵀHV is filled column by column from those coefficients (so that after a restart, when V
 * starts with Ritz vectors, nothing changes). With the remainder f of the last product,
 * H V = V T + f e_mᵀ, so a Ritz pair (θ, V s) has residual ‖f‖·|s_m|: that estimate decides when
 * to check. A check takes one explicit product per wanted pair; the pairs count as converged only
 * when every checked residual is at most `tol`. When the estimates are below the checked
 * residuals by 1000× (float32 products cannot do better), the solver stops and says so.
 */
export function* restartedLanczos(dim: number, o: RestartedLanczosOptions): Steps<RestartedLanczosResult> {
  // Kept whole: one thick-restart Lanczos iteration (Wu & Simon 2000) whose basis V, tridiagonal T, locked Ritz pairs and restart bookkeeping are shared by every phase of the loop; split into functions, each would take and return that whole state, and the algorithm would no longer read as the paper's.
  const rng = new Random(o.seed);
  const deflate = o.deflate ?? [];
  // The dimension of the space searched: the complement of the deflated vectors.
  const free = dim - deflate.length;
  const basisSize = Math.max(2, Math.min(free, o.basisSize));
  const V: Float64Array[] = [];
  const T: number[][] = Array.from({ length: basisSize }, () => new Array<number>(basisSize).fill(0));
  let steps = 0;
  let restarts = 0;
  let checks = 0;
  // The first check comes when the estimates reach tol, or 1e-6 (near float32's floor) if tol is
  // smaller, so that an unreachable tol is found out early rather than at maxIter.
  let threshold = Math.max(o.tol, 1e-6);
  let stopReason: StopReason = 'max-iterations';
  let lastWorst: number | undefined;
  let lastCheckStep = 0;
  let lastChecked: { top: Pair[]; min: Pair | undefined; max: Pair | undefined } | undefined;
  const first = freshVector(rng, dim, deflate);
  if (first === undefined) throw new Error('restartedLanczos: no start vector');
  V.push(first);

  const checkAll = function* (ritz: Ritz, w: ReturnType<typeof wantedOf>): Steps<typeof lastChecked> {
    const cache = new Map<number, Pair>();
    const pairOf = function* (i: number): Steps<Pair> {
      let p = cache.get(i);
      if (p === undefined) {
        const y = combine(V, ritz.vectors[i] as number[], dim);
        const c = yield* check(y);
        checks++;
        p = {
          value: c.value,
          vector: y,
          iterations: steps,
          converged: c.residual <= o.tol,
          residual: c.residual,
        };
        cache.set(i, p);
      }
      return p;
    };
    const top: Pair[] = [];
    for (const i of w.top) top.push(yield* pairOf(i));
    top.sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
    const min = o.ends ? yield* pairOf(w.lo) : undefined;
    const max = o.ends ? yield* pairOf(w.hi) : undefined;
    return { top, min, max };
  };

  for (;;) {
    const j = V.length - 1;
    const w = yield V[j] as Float64Array;
    steps++;
    const h = new Array<number>(j + 1).fill(0);
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i <= j; i++) {
        const q = V[i] as Float64Array;
        const c = dot(w, q);
        h[i] = (h[i] as number) + c;
        for (let t = 0; t < dim; t++) w[t] = (w[t] as number) - c * (q[t] as number);
      }
    }
    for (let i = 0; i <= j; i++) {
      (T[i] as number[])[j] = h[i] as number;
      (T[j] as number[])[i] = h[i] as number;
    }
    const m = j + 1;
    const beta = norm(w);
    const ritz = ritzOf(T, m);
    let scale = 0;
    for (const v of ritz.values) scale = Math.max(scale, Math.abs(v));
    const closed = !(beta > 1e-10 * scale);
    const exhausted = closed && m === free;
    const want = wantedOf(ritz.values, o.k, o.ends);
    // A Krylov space that closed before the whole space did (an eigenvalue repeated, or a start
    // vector without components along some eigenvectors) is extended by a fresh vector before
    // anything is checked: the pairs found so far may not be the largest.
    if (closed && !exhausted && steps < o.maxSteps) {
      // fall through to the extension below
    } else if (m >= o.k) {
      const estimate = Math.max(
        ...want.all.map((i) =>
          relative(beta * Math.abs((ritz.vectors[i] as number[])[m - 1] as number), ritz.values[i] as number),
        ),
      );
      const out = steps >= o.maxSteps;
      // A check also comes after a basis' worth of steps without one once a check has failed: the
      // estimates themselves stall at the products' noise (observed 1e-8 to 1e-9 in float32).
      const stalled = lastWorst !== undefined && steps - lastCheckStep >= basisSize;
      if (estimate <= threshold || stalled || out || exhausted) {
        lastChecked = yield* checkAll(ritz, want);
        const pairs = [
          ...lastChecked!.top,
          ...(lastChecked!.min ? [lastChecked!.min, lastChecked!.max as Pair] : []),
        ];
        if (pairs.every((p) => p.converged)) {
          stopReason = 'converged';
          break;
        }
        if (exhausted) {
          stopReason = 'krylov-exhausted';
          break;
        }
        if (out) {
          stopReason = 'max-iterations';
          break;
        }
        // The estimate is met but a checked residual is not. Look again once the estimate has
        // fallen 10× further; when the checked residuals no longer halve from one check to the
        // next, or sit 1000× above the estimate, only the float32 rounding of the products is
        // left: stop and say so.
        const worst = Math.max(...pairs.map((p) => p.residual));
        if (estimate <= worst * 1e-3 || (lastWorst !== undefined && worst > 0.5 * lastWorst)) {
          stopReason = 'residual-floor';
          break;
        }
        lastWorst = worst;
        lastCheckStep = steps;
        threshold = estimate / 10;
      }
    } else if (steps >= o.maxSteps || exhausted) {
      // Fewer basis vectors than pairs wanted (k close to dim with a closed Krylov space).
      lastChecked = yield* checkAll(ritz, want);
      stopReason = exhausted ? 'krylov-exhausted' : 'max-iterations';
      break;
    }
    // Extend the basis with f/β, a fresh vector if the Krylov space closed, or restart.
    let next: Float64Array | undefined;
    if (beta > 1e-10 * scale) {
      next = Float64Array.from(w);
      projectOut(next, deflate);
      projectOut(next, V);
      if (!unit(next)) next = undefined;
    }
    next ??= freshVector(rng, dim, [...deflate, ...V]);
    if (next === undefined) {
      lastChecked = yield* checkAll(ritz, want);
      stopReason = 'krylov-exhausted';
      break;
    }
    if (m < basisSize) {
      V.push(next);
      continue;
    }
    // Thick restart: keep the wanted Ritz vectors and their neighbours toward both ends.
    restarts++;
    const keep = Math.min(basisSize - 2, Math.max(want.all.length, Math.floor(basisSize / 2)));
    const kept = new Set(want.all);
    const ascending = ritz.values
      .map((_, i) => i)
      .sort((a, b) => (ritz.values[a] as number) - (ritz.values[b] as number));
    if (o.ends) for (const i of ascending.slice(0, 3)) if (kept.size < keep) kept.add(i);
    for (const i of want.byMag) if (kept.size < keep) kept.add(i);
    const order = [...kept];
    // The Ritz vectors are orthonormal up to rounding; reorthogonalize so that T stays VᵀHV.
    const basis: Float64Array[] = [];
    const diagonal: number[] = [];
    for (const i of order) {
      const y = combine(V, ritz.vectors[i] as number[], dim);
      projectOut(y, basis);
      if (unit(y)) {
        basis.push(y);
        diagonal.push(ritz.values[i] as number);
      }
    }
    projectOut(next, deflate);
    projectOut(next, basis);
    if (!unit(next)) {
      const fresh = freshVector(rng, dim, [...deflate, ...basis]);
      if (fresh === undefined) {
        lastChecked = yield* checkAll(ritz, want);
        stopReason = 'krylov-exhausted';
        break;
      }
      next = fresh;
    }
    V.length = 0;
    V.push(...basis, next);
    for (const row of T) row.fill(0);
    diagonal.forEach((theta, r) => {
      (T[r] as number[])[r] = theta;
    });
  }
  const c = lastChecked as NonNullable<typeof lastChecked>;
  return { top: c.top, min: c.min, max: c.max, steps, restarts, checks, stopReason };
}

/** The result of {@link verifiedLanczos}. */
export interface VerifiedLanczosResult extends Omit<RestartedLanczosResult, 'stopReason'> {
  stopReason: StopReason | 'verification-limit';
  /** Verification passes run (0 when the first search did not converge or spanned everything). */
  verificationPasses: number;
}

/** Orthonormal vectors spanning `vs` (a vector within 1e-6 of the span of those before it is dropped). */
function orthonormal(vs: readonly Float64Array[]): Float64Array[] {
  const basis: Float64Array[] = [];
  for (const v of vs) {
    const y = Float64Array.from(v);
    const n0 = norm(y);
    projectOut(y, basis);
    if (norm(y) > 1e-6 * n0 && unit(y)) basis.push(y);
  }
  return basis;
}

/** Whether `a` beats `b` in magnitude by more than the residual tolerance of both (a tie is not a miss). */
function beats(a: number, b: number, tol: number): boolean {
  return Math.abs(a) - Math.abs(b) > tol * (Math.abs(a) + Math.abs(b));
}

/**
 * {@link restartedLanczos}, then a check that the set of pairs is the right one. A single-vector
 * Krylov method sees one vector per eigenspace in exact arithmetic, so a second copy of a repeated
 * eigenvalue shows up only through rounding, and the pairs can each pass their residual test while
 * the set misses it (diag(5, 5, 4, 2, …) answered 5, 4, 2). So, once the wanted pairs converge, they
 * are locked (with the two ends) and a further Lanczos pass runs on `(I − LLᵀ) H (I − LLᵀ)` from a
 * fresh random vector orthogonal to them, reorthogonalized against them at every product (ARPACK
 * and SLEPc lock converged vectors the same way). When that pass converges to a pair of larger
 * magnitude than the k-th (or beyond an end) by more than `tol`, Rayleigh–Ritz on the locked
 * vectors and the new one, with one explicit product per vector, gives the new set and another
 * pass follows; at most `k + 2` passes. The set is accepted only when a converged pass finds
 * nothing that belongs; otherwise the stop reason is `'verification-limit'`.
 */
export function* verifiedLanczos(dim: number, o: RestartedLanczosOptions): Steps<VerifiedLanczosResult> {
  const first = yield* restartedLanczos(dim, o);
  let { top, min, max, steps, restarts, checks } = first;
  if (first.stopReason !== 'converged') return { ...first, verificationPasses: 0 };
  const maxPasses = o.k + 2;
  let passes = 0;
  let stopReason: VerifiedLanczosResult['stopReason'] = 'verification-limit';
  for (;;) {
    const locked = orthonormal([...top, ...(min && max ? [min, max] : [])].map((p) => p.vector));
    if (locked.length >= dim) {
      stopReason = 'converged'; // the locked vectors span everything: nothing is left to miss
      break;
    }
    if (passes >= maxPasses) break;
    passes++;
    const sub = yield* projected(
      restartedLanczos(dim, {
        k: 1,
        ends: o.ends,
        tol: o.tol,
        maxSteps: o.maxSteps,
        basisSize: o.basisSize,
        seed: o.seed + 7919 * passes,
        deflate: locked,
      }),
      locked,
    );
    steps += sub.steps;
    restarts += sub.restarts;
    checks += sub.checks;
    const kth = top[top.length - 1] as Pair;
    const found: Pair[] = [];
    const s0 = sub.top[0];
    if (s0 !== undefined && beats(s0.value, kth.value, o.tol)) found.push(s0);
    if (min && max && sub.min && sub.max) {
      const band = o.tol * (Math.abs(min.value) + Math.abs(max.value));
      if (sub.min.value < min.value - band) found.push(sub.min);
      if (sub.max.value > max.value + band) found.push(sub.max);
    }
    // Ritz values lie inside the spectrum, so a miss found is one even unconverged; no miss found
    // proves nothing unless the pass converged.
    if (found.length === 0) {
      if (sub.stopReason === 'converged' || sub.stopReason === 'krylov-exhausted') stopReason = 'converged';
      break;
    }
    // Rayleigh–Ritz on the locked vectors and the new ones, one explicit product each.
    const basis = orthonormal([...locked, ...found.map((p) => p.vector)]);
    if (basis.length === locked.length) break; // nothing new outside the locked vectors: unverified
    const withProducts: Pair[] = [];
    for (const v of basis) {
      checks++;
      const product = yield v;
      withProducts.push({ value: 0, vector: v, iterations: steps, converged: false, residual: 0, product });
    }
    const rr = rayleighRitz(withProducts, o.tol).map((p) => ({ ...p, iterations: steps }));
    top = rr
      .slice()
      .sort((a, b) => Math.abs(b.value) - Math.abs(a.value))
      .slice(0, o.k);
    if (min && max) {
      min = rr.reduce((a, b) => (b.value < a.value ? b : a));
      max = rr.reduce((a, b) => (b.value > a.value ? b : a));
    }
  }
  const all = [...top, ...(min && max ? [min, max] : [])];
  for (const p of all) p.iterations = steps;
  if (stopReason === 'converged' && !all.every((p) => p.converged)) stopReason = 'residual-floor';
  return { top, min, max, steps, restarts, checks, stopReason, verificationPasses: passes };
}
