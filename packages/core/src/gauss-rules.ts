/**
 * Gauss–Hermite and Gauss–Legendre quadrature rules, computed (not tabulated) by the
 * Golub–Welsch algorithm and polished by Newton's method on the three-term recurrence.
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

/**
 * Builds an n-point Gauss rule for the orthonormal family with recurrence
 * `x p_k = b_{k+1} p_{k+1} + b_k p_{k-1}` (zero diagonal, symmetric weight).
 * Golub–Welsch gives the nodes; two Newton steps on p_n polish them; the weights are the
 * Christoffel numbers `μ₀ / Σ_{k<n} p_k(x)²`, with p_k orthonormal for the probability measure
 * μ/μ₀ (so p_0 = 1).
 */
function symmetricGaussRule(n: number, b: (k: number) => number, mu0: number): QuadratureRule {
  const alpha = new Float64Array(n);
  const beta = new Float64Array(n - 1);
  for (let k = 1; k < n; k++) beta[k - 1] = b(k);
  const { values } = tridiagonalEigen(alpha, beta);
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let x = values[i]!;
    let sum = 0;
    for (let iter = 0; iter < 3; iter++) {
      // Orthonormal recurrence with p_0 = 1 (normalized w.r.t. the probability measure μ/μ₀),
      // and its derivative.
      let p0 = 0;
      let p1 = 1;
      let d0 = 0;
      let d1 = 0;
      sum = 1;
      for (let k = 1; k <= n; k++) {
        const bk = b(k);
        const bkm1 = k > 1 ? b(k - 1) : 0;
        const p2 = (x * p1 - bkm1 * p0) / bk;
        const d2 = (p1 + x * d1 - bkm1 * d0) / bk;
        p0 = p1;
        p1 = p2;
        d0 = d1;
        d1 = d2;
        if (k < n) sum += p1 * p1;
      }
      if (iter < 2 && d1 !== 0) {
        const step = p1 / d1;
        if (Math.abs(step) < 1e-6 * (1 + Math.abs(x))) x -= step;
      }
    }
    nodes[i] = x;
    weights[i] = mu0 / sum;
  }
  return { nodes, weights };
}

const hermiteCache = new Map<number, QuadratureRule>();
const legendreCache = new Map<number, QuadratureRule>();

/**
 * The n-point Gauss–Hermite rule for the standard normal distribution (probabilists' Hermite
 * polynomials): `E[g(Z)] ≈ Σ wᵢ g(xᵢ)` for Z ~ N(0, 1), exact for polynomials of degree ≤ 2n − 1;
 * the weights sum to 1.
 *
 * Computed by Golub–Welsch on the Jacobi matrix with off-diagonal √k, then polished by Newton.
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
 * @see Golub & Welsch (1969), "Calculation of Gauss quadrature rules", Math. Comp. 23.
 */
export function gaussHermiteRule(n: number): QuadratureRule {
  requireInteger('gaussHermiteRule', 'n', n, 1, 400);
  let rule = hermiteCache.get(n);
  if (rule === undefined) {
    rule = symmetricGaussRule(n, (k) => Math.sqrt(k), 1);
    hermiteCache.set(n, rule);
  }
  return rule;
}

/**
 * The n-point Gauss–Legendre rule on [−1, 1]: `∫₋₁¹ g(x) dx ≈ Σ wᵢ g(xᵢ)`, exact for polynomials
 * of degree ≤ 2n − 1; the weights sum to 2.
 *
 * Computed by Golub–Welsch on the Jacobi matrix with off-diagonal k/√(4k² − 1), then polished by Newton.
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
 * @see Golub & Welsch (1969), "Calculation of Gauss quadrature rules", Math. Comp. 23.
 */
export function gaussLegendreRule(n: number): QuadratureRule {
  requireInteger('gaussLegendreRule', 'n', n, 1, 400);
  let rule = legendreCache.get(n);
  if (rule === undefined) {
    rule = symmetricGaussRule(n, (k) => k / Math.sqrt(4 * k * k - 1), 2);
    legendreCache.set(n, rule);
  }
  return rule;
}
