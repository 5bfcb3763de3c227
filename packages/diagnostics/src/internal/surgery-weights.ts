import { ConvergenceError } from '@gflow/core';
import { seededUniform, shuffleInPlace } from './seeded-shuffle.js';

/**
 * The PCGrad coefficients: the combined gradient is Σ_k w_k g_k (float64, on the host, from the
 * Gram matrix G of the task gradients, row-major K×K).
 *
 * Every projected gradient is a linear combination of the original ones, g_i^PC = Σ_k C_ik g_k,
 * so ⟨g_i^PC, g_j⟩ = Σ_k C_ik G_kj: the whole procedure runs on the K×K Gram matrix.
 */
export function pcGradWeights(
  gram: Float64Array,
  k: number,
  seed: number,
  reduction: 'sum' | 'mean',
): Float64Array {
  const u = seededUniform(seed);
  const w = new Float64Array(k);
  const c = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    c.fill(0);
    c[i] = 1;
    const order = shuffleInPlace(
      Array.from({ length: k }, (_, j) => j).filter((j) => j !== i),
      u,
    );
    for (const j of order) {
      const gjj = gram[j * k + j] as number;
      if (gjj <= 0) continue; // a zero gradient conflicts with nothing
      let dot = 0;
      for (let l = 0; l < k; l++) dot += (c[l] as number) * (gram[l * k + j] as number);
      if (dot < 0) c[j] = (c[j] as number) - dot / gjj;
    }
    for (let l = 0; l < k; l++) w[l] = (w[l] as number) + (c[l] as number);
  }
  if (reduction === 'mean') for (let l = 0; l < k; l++) w[l] = (w[l] as number) / k;
  return w;
}

/** What the CAGrad dual solution gives: the update's coefficients and the solver's numbers. */
export interface CaGradSolution {
  /** d = Σ_k coef_k g_k. */
  readonly coef: Float64Array;
  /** w*, the task weights on the simplex. */
  readonly w: Float64Array;
  /** F(w*) = g_w·g_0 + c‖g_0‖‖g_w‖ (= min_i ⟨g_i, d⟩ at the optimum, by strong duality). */
  readonly value: number;
  /** The Frank–Wolfe gap at w*, an upper bound on F(w*) − F* (0 for the exact 2-task solution). */
  readonly gap: number;
  /** Iterations of the projected-gradient solver (0 for the closed form). */
  readonly iterations: number;
}

/** Euclidean projection onto the probability simplex (Held, Wolfe & Crowder; sort-based). */
export function projectSimplex(v: Float64Array): Float64Array<ArrayBuffer> {
  const k = v.length;
  const u = Array.from(v).sort((a, b) => b - a);
  let cum = 0;
  let theta = 0;
  for (let j = 0; j < k; j++) {
    cum += u[j] as number;
    const t = (cum - 1) / (j + 1);
    if ((u[j] as number) - t > 0) theta = t;
  }
  const out = new Float64Array(k);
  for (let j = 0; j < k; j++) out[j] = Math.max((v[j] as number) - theta, 0);
  return out;
}

/**
 * Solves CAGrad's dual, min over the simplex of F(w) = wᵀG a + s·√(wᵀGw), a = (1/K)·1 (so that
 * Σ a_k g_k = g_0, the mean gradient) and s = c‖g_0‖, and forms d = g_0 + (s/‖g_w‖)·g_w.
 *
 * Two tasks: exactly. With w the weight of g_1, g_w = g_2 + w(g_1 − g_2) and F is convex in w;
 * with A = ‖g_1 − g_2‖², B = ⟨g_2, g_1 − g_2⟩, D = G_11G_22 − G_12² and β = (G_11 − G_22)/2
 * (= ⟨g_1 − g_2, g_0⟩), F′(w) = 0 at z = Aw + B = −β·√(D/(s²A − β²)) when s²A > β² (none
 * otherwise); the minimum is the least F among w = 0, 1 and that point when it lies in [0, 1].
 *
 * More tasks: projected gradient descent with backtracking (Armijo), and every 20 steps a Newton
 * polish on the face of the current support (which reaches full float64 accuracy where the
 * Armijo test stalls in F's rounding), stopped when the Frank–Wolfe gap ∇F(w)·w − min_j ∂_jF(w), an upper bound on F(w) − F* for convex F, is at most
 * tol·max_i G_ii (F has the units of G).
 *
 * @throws ConvergenceError when the gap is not reached within maxIterations.
 */
export function caGradWeights(
  fn: string,
  gram: Float64Array,
  k: number,
  c: number,
  tol: number,
  maxIterations: number,
): CaGradSolution {
  // Kept whole: one projected-gradient solve of CAGrad's dual on the simplex (Liu et al. 2021), its iterate, step size and gap test sharing the k × k Gram matrix closures; it mirrors the paper's algorithm line by line.
  const G = (i: number, j: number) => gram[i * k + j] as number;
  const quad = (x: ArrayLike<number>, y: ArrayLike<number>) => {
    let s = 0;
    for (let i = 0; i < k; i++)
      for (let j = 0; j < k; j++) s += (x[i] as number) * G(i, j) * (y[j] as number);
    return s;
  };
  const a = new Float64Array(k).fill(1 / k);
  const g0sq = Math.max(quad(a, a), 0);
  const s = c * Math.sqrt(g0sq);
  let scale = 0;
  for (let i = 0; i < k; i++) scale = Math.max(scale, G(i, i));
  const Ga = new Float64Array(k);
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++) Ga[i] = (Ga[i] as number) + G(i, j) * (a[j] as number);
  const F = (w: ArrayLike<number>) => {
    let lin = 0;
    for (let i = 0; i < k; i++) lin += (w[i] as number) * (Ga[i] as number);
    return lin + s * Math.sqrt(Math.max(quad(w, w), 0));
  };
  const finish = (w: Float64Array, gap: number, iterations: number): CaGradSolution => {
    const gw = Math.sqrt(Math.max(quad(w, w), 0));
    // λ = s/‖g_w‖; when g_w = 0 the correction vanishes (the authors' code: s/(‖g_w‖ + 1e-8)·g_w → 0).
    const lambda = gw > 0 ? s / gw : 0;
    const coef = new Float64Array(k);
    for (let i = 0; i < k; i++) coef[i] = (a[i] as number) + lambda * (w[i] as number);
    return { coef, w, value: F(w), gap, iterations };
  };
  if (scale === 0 || s === 0) {
    // Every gradient zero, or c = 0, or g_0 = 0: d = g_0 (w does not matter).
    return finish(a.slice(), 0, 0);
  }
  if (k === 1) return finish(new Float64Array([1]), 0, 0);
  if (k === 2) {
    const A = G(0, 0) - 2 * G(0, 1) + G(1, 1);
    const B = G(0, 1) - G(1, 1);
    const D = Math.max(G(0, 0) * G(1, 1) - G(0, 1) * G(0, 1), 0);
    const beta = (G(0, 0) - G(1, 1)) / 2;
    const candidates = [0, 1];
    if (A > 0 && s * s * A > beta * beta) {
      const z = -beta * Math.sqrt(D / (s * s * A - beta * beta));
      const w = (z - B) / A;
      if (w > 0 && w < 1) candidates.push(w);
    }
    let best = new Float64Array([0, 1]);
    let bestF = Number.POSITIVE_INFINITY;
    for (const w of candidates) {
      const x = new Float64Array([w, 1 - w]);
      const f = F(x);
      if (f < bestF) {
        bestF = f;
        best = x;
      }
    }
    return finish(best, 0, 0);
  }
  const grad = (w: Float64Array) => {
    const Gw = new Float64Array(k);
    for (let i = 0; i < k; i++)
      for (let j = 0; j < k; j++) Gw[i] = (Gw[i] as number) + G(i, j) * (w[j] as number);
    let q = 0;
    for (let i = 0; i < k; i++) q += (w[i] as number) * (Gw[i] as number);
    const nrm = Math.sqrt(Math.max(q, 0));
    const out = new Float64Array(k);
    for (let i = 0; i < k; i++) out[i] = (Ga[i] as number) + (nrm > 0 ? (s * (Gw[i] as number)) / nrm : 0);
    return out;
  };
  const fwGap = (w: Float64Array, g: Float64Array) => {
    let dot = 0;
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < k; i++) {
      dot += (w[i] as number) * (g[i] as number);
      min = Math.min(min, g[i] as number);
    }
    return dot - min;
  };
  // Newton on the face of the simplex spanned by the current support: the stationarity of F in
  // the coordinates w_i (i in S but the last), w_last = 1 − Σ. Polishes to full float64 accuracy
  // what projected gradient steps, whose Armijo test stalls in F's rounding, cannot.
  const polish = (start: Float64Array): Float64Array | undefined => {
    const S: number[] = [];
    for (let i = 0; i < k; i++) if ((start[i] as number) > 0) S.push(i);
    const m = S.length;
    if (m < 2) return undefined;
    const w = start.slice();
    for (let it = 0; it < 50; it++) {
      const Gw = new Float64Array(k);
      for (const i of S) for (const j of S) Gw[i] = (Gw[i] as number) + G(i, j) * (w[j] as number);
      let q = 0;
      for (const i of S) q += (w[i] as number) * (Gw[i] as number);
      const r = Math.sqrt(Math.max(q, 0));
      if (!(r > 0)) return undefined;
      const last = S[m - 1] as number;
      const gradOf = (i: number) => (Ga[i] as number) + (s * (Gw[i] as number)) / r;
      const hess = (i: number, j: number) =>
        s * (G(i, j) / r - ((Gw[i] as number) * (Gw[j] as number)) / (r * r * r));
      const n = m - 1;
      const H = new Float64Array(n * n);
      const h = new Float64Array(n);
      let hmax = 0;
      for (let a1 = 0; a1 < n; a1++) {
        const i = S[a1] as number;
        h[a1] = gradOf(i) - gradOf(last);
        hmax = Math.max(hmax, Math.abs(h[a1] as number));
        for (let b1 = 0; b1 < n; b1++) {
          const j = S[b1] as number;
          H[a1 * n + b1] = hess(i, j) - hess(i, last) - hess(last, j) + hess(last, last);
        }
      }
      if (hmax <= 1e-15 * scale) break;
      const delta = solveDense(H, h, n);
      if (!delta) return undefined;
      let sum = 0;
      for (let a1 = 0; a1 < n; a1++) {
        const i = S[a1] as number;
        w[i] = (w[i] as number) - (delta[a1] as number);
        sum += w[i] as number;
      }
      w[last] = 1 - sum;
      for (const i of S) if (!((w[i] as number) >= 0)) return undefined;
    }
    return w;
  };
  let w: Float64Array = a.slice();
  let fw = F(w);
  let step = 1 / scale;
  const target = tol * scale;
  let gap = Number.POSITIVE_INFINITY;
  for (let it = 0; it < maxIterations; it++) {
    const g = grad(w);
    gap = fwGap(w, g);
    if (gap <= target) return finish(w, gap, it);
    if (it % 20 === 19) {
      const p = polish(w);
      if (p) {
        const pg = fwGap(p, grad(p));
        if (pg <= target) return finish(p, pg, it);
      }
    }
    // Backtracking: accept the projected step when F drops below its quadratic model.
    step *= 2;
    for (let tries = 0; tries < 60; tries++) {
      const trial = new Float64Array(k);
      for (let i = 0; i < k; i++) trial[i] = (w[i] as number) - step * (g[i] as number);
      const next = projectSimplex(trial);
      let lin = 0;
      let sq = 0;
      for (let i = 0; i < k; i++) {
        const d = (next[i] as number) - (w[i] as number);
        lin += (g[i] as number) * d;
        sq += d * d;
      }
      const fn2 = F(next);
      if (fn2 <= fw + lin + sq / (2 * step) || sq === 0) {
        w = next;
        fw = fn2;
        break;
      }
      step /= 2;
    }
  }
  const g = grad(w);
  gap = fwGap(w, g);
  if (gap <= target) return finish(w, gap, maxIterations);
  throw new ConvergenceError(
    `${fn}: the dual over the task weights must reach a Frank–Wolfe gap ≤ ${target.toExponential(2)} (tol·max‖g_i‖²) within options.maxIterations = ${maxIterations}, got ${gap.toExponential(2)}`,
  );
}

/** Solves the dense n×n system H x = b by Gaussian elimination with partial pivoting; undefined if singular. */
function solveDense(H: Float64Array, b: Float64Array, n: number): Float64Array | undefined {
  const A = H.slice();
  const x = b.slice();
  let norm = 0;
  for (let i = 0; i < n * n; i++) norm = Math.max(norm, Math.abs(A[i] as number));
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++)
      if (Math.abs(A[r * n + col] as number) > Math.abs(A[piv * n + col] as number)) piv = r;
    const p = A[piv * n + col] as number;
    if (!(Math.abs(p) > 1e-13 * norm)) return undefined;
    if (piv !== col) {
      for (let c = 0; c < n; c++) {
        const t = A[col * n + c] as number;
        A[col * n + c] = A[piv * n + c] as number;
        A[piv * n + c] = t;
      }
      const t = x[col] as number;
      x[col] = x[piv] as number;
      x[piv] = t;
    }
    for (let r = col + 1; r < n; r++) {
      const f = (A[r * n + col] as number) / p;
      if (f === 0) continue;
      for (let c = col; c < n; c++) A[r * n + c] = (A[r * n + c] as number) - f * (A[col * n + c] as number);
      x[r] = (x[r] as number) - f * (x[col] as number);
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let v = x[r] as number;
    for (let c = r + 1; c < n; c++) v -= (A[r * n + c] as number) * (x[c] as number);
    x[r] = v / (A[r * n + r] as number);
  }
  return x;
}
