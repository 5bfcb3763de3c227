/**
 * Gauss–Hermite and Gauss–Legendre quadrature rules, computed (not tabulated) by Newton's method
 * on the three-term recurrence, with Golub–Welsch as the fallback.
 *
 * @module
 */
import { tridiagonalEigen } from './internal/tridiagonal.js';
import { requireInteger } from './internal/validate.js';

/** Nodes and weights of a quadrature rule: `∫ g dμ ≈ Σ weights[i] g(nodes[i])`. */
export interface QuadratureRule {
  /** Nodes in ascending order. */
  readonly nodes: Float64Array;
  /** Positive weights, one per node. */
  readonly weights: Float64Array;
}

/** p_n(x), p_n′(x) and Σ_{k<n} p_k(x)² for the orthonormal recurrence x p_k = b_{k+1} p_{k+1} + b_k p_{k−1}, p_0 = 1. */
function recurrence(x: number, n: number, b: Float64Array): { p: number; dp: number; sum: number } {
  let p0 = 0;
  let p1 = 1;
  let d0 = 0;
  let d1 = 0;
  let sum = 1;
  for (let k = 1; k <= n; k++) {
    const bk = b[k]!;
    const bkm1 = b[k - 1]!;
    const p2 = (x * p1 - bkm1 * p0) / bk;
    const d2 = (p1 + x * d1 - bkm1 * d0) / bk;
    p0 = p1;
    p1 = p2;
    d0 = d1;
    d1 = d2;
    if (k < n) sum += p1 * p1;
  }
  return { p: p1, dp: d1, sum };
}

/**
 * Newton's method on p_n from an initial guess, deflated by the roots already found
 * (step p/(p′ − p Σ 1/(x − r_j)), so it cannot fall back onto them); NaN when it does not converge.
 */
function newtonRoot(x0: number, n: number, b: Float64Array, found: readonly number[] = []): number {
  let x = x0;
  let last = Number.POSITIVE_INFINITY;
  for (let iter = 0; iter < 100; iter++) {
    const { p, dp } = recurrence(x, n, b);
    let s = 0;
    for (const r of found) s += 1 / (x - r);
    const denom = dp - p * s;
    if (!(denom !== 0) || !Number.isFinite(p)) return Number.NaN;
    const step = p / denom;
    x -= step;
    last = Math.abs(step);
    if (last <= 1e-15 * Math.max(1, Math.abs(x))) return x;
  }
  // Rounding can keep the last step just above 1e-15 relative; accept a root resolved to 1e-13.
  return last <= 1e-13 * Math.max(1, Math.abs(x)) ? x : Number.NaN;
}

/**
 * Builds the n-point Gauss rule of a symmetric weight whose orthonormal polynomials satisfy
 * `x p_k = b_{k+1} p_{k+1} + b_k p_{k−1}` (p_0 = 1 for the probability measure μ/μ₀).
 *
 * Nodes: Newton's method on p_n from the classical asymptotic initial guesses (largest first,
 * mirrored by symmetry). This is O(n²) and works for the sizes we use (up to about 150 Hermite
 * nodes; the Hermite guesses degrade beyond); if any node fails to converge or the nodes are not strictly ordered,
 * Golub–Welsch (the eigenvalues of the Jacobi matrix) supplies them instead, then Newton polishes.
 * Weights: the Christoffel numbers μ₀ / Σ_{k<n} p_k(x)².
 */
function symmetricGaussRule(
  n: number,
  bOf: (k: number) => number,
  mu0: number,
  guess: (i: number, found: readonly number[]) => number,
): QuadratureRule {
  const b = new Float64Array(n + 1);
  for (let k = 1; k <= n; k++) b[k] = bOf(k);
  const nodes = new Float64Array(n);
  const m = Math.ceil(n / 2);
  let ok = true;
  let prev = Number.POSITIVE_INFINITY;
  const found: number[] = [];
  for (let i = 0; i < m; i++) {
    // Root i + 1 from the top, mirrored to the bottom.
    const x = n % 2 === 1 && i === m - 1 ? 0 : newtonRoot(guess(i, found), n, b, found);
    if (!(x < prev) || !(x >= 0)) {
      ok = false;
      break;
    }
    prev = x;
    found.push(x);
    nodes[n - 1 - i] = x;
    nodes[i] = x === 0 ? 0 : -x;
  }
  if (!ok) {
    const { values } = tridiagonalEigen(new Float64Array(n), b.subarray(1, n));
    for (let i = 0; i < n; i++) {
      const polished = newtonRoot(values[i]!, n, b);
      nodes[i] = Number.isNaN(polished) ? values[i]! : polished;
    }
  }
  const weights = Float64Array.from(nodes, (x) => mu0 / recurrence(x, n, b).sum);
  return { nodes, weights };
}

/**
 * Initial guess for the (i+1)-th largest Hermite root given the larger roots already found:
 * the physicists' guesses of Numerical Recipes (gauher) in t, with x = √2·t.
 */
function hermiteGuess(n: number): (i: number, found: readonly number[]) => number {
  return (i, found) => {
    const z = found.map((x) => x / Math.SQRT2);
    let t: number;
    if (i === 0) t = Math.sqrt(2 * n + 1) - 1.85575 * (2 * n + 1) ** -0.16667;
    else if (i === 1) t = z[0]! - (1.14 * n ** 0.426) / z[0]!;
    else if (i === 2) t = 1.86 * z[1]! - 0.86 * z[0]!;
    else if (i === 3) t = 1.91 * z[2]! - 0.91 * z[1]!;
    else t = 2 * z[i - 1]! - z[i - 2]!;
    return Math.SQRT2 * t;
  };
}

const hermiteCache = new Map<number, QuadratureRule>();
const legendreCache = new Map<number, QuadratureRule>();

/**
 * The n-point Gauss–Hermite rule for the standard normal distribution (probabilists' Hermite
 * polynomials): `E[g(Z)] ≈ Σ wᵢ g(xᵢ)` for Z ~ N(0, 1), exact for polynomials of degree ≤ 2n − 1;
 * the weights sum to 1.
 *
 * Nodes by Newton's method on the orthonormal recurrence x p_k = √(k+1) p_{k+1} + √k p_{k−1}
 * from asymptotic initial guesses (Golub–Welsch on the Jacobi matrix as fallback); weights are the
 * Christoffel numbers 1/Σ p_k(xᵢ)².
 *
 * @param n - Number of nodes, an integer in [1, 400].
 * @returns Nodes (ascending) and weights (sum 1). Rules are cached; treat them as read-only.
 * @throws InvalidArgumentError when `n` is not an integer in [1, 400].
 * @example
 * ```ts
 * import { gaussHermiteRule } from '@gflow/core';
 * const { nodes, weights } = gaussHermiteRule(10);
 * let m4 = 0;
 * for (let i = 0; i < 10; i++) m4 += weights[i]! * nodes[i]! ** 4; // E[Z⁴] = 3
 * ```
 * @see Golub & Welsch (1969), "Calculation of Gauss quadrature rules", Math. Comp. 23;
 * Press et al., Numerical Recipes (3rd ed.) §4.6.
 */
export function gaussHermiteRule(n: number): QuadratureRule {
  requireInteger('gaussHermiteRule', 'n', n, 1, 400);
  let rule = hermiteCache.get(n);
  if (rule === undefined) {
    rule = symmetricGaussRule(n, (k) => Math.sqrt(k), 1, hermiteGuess(n));
    hermiteCache.set(n, rule);
  }
  return rule;
}

/**
 * The n-point Gauss–Legendre rule on [−1, 1]: `∫₋₁¹ g(x) dx ≈ Σ wᵢ g(xᵢ)`, exact for polynomials
 * of degree ≤ 2n − 1; the weights sum to 2.
 *
 * Nodes by Newton's method on the orthonormal recurrence (off-diagonal k/√(4k² − 1)) from
 * xᵢ ≈ cos(π(i − ¼)/(n + ½)) (Golub–Welsch as fallback); weights 2/Σ p_k(xᵢ)².
 *
 * @param n - Number of nodes, an integer in [1, 400].
 * @returns Nodes (ascending) and weights (sum 2). Rules are cached; treat them as read-only.
 * @throws InvalidArgumentError when `n` is not an integer in [1, 400].
 * @example
 * ```ts
 * import { gaussLegendreRule } from '@gflow/core';
 * const { nodes, weights } = gaussLegendreRule(5);
 * let s = 0;
 * for (let i = 0; i < 5; i++) s += weights[i]! * Math.cos(nodes[i]!); // ≈ 2 sin 1
 * ```
 * @see Golub & Welsch (1969), "Calculation of Gauss quadrature rules", Math. Comp. 23;
 * Press et al., Numerical Recipes (3rd ed.) §4.6.
 */
export function gaussLegendreRule(n: number): QuadratureRule {
  requireInteger('gaussLegendreRule', 'n', n, 1, 400);
  let rule = legendreCache.get(n);
  if (rule === undefined) {
    rule = symmetricGaussRule(
      n,
      (k) => k / Math.sqrt(4 * k * k - 1),
      2,
      (i) => Math.cos((Math.PI * (i + 0.75)) / (n + 0.5)),
    );
    legendreCache.set(n, rule);
  }
  return rule;
}
