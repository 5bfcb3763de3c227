/**
 * Expectations of scalar functions under normal and uniform laws by fixed Gauss rules.
 *
 * Normal law: Gauss–Hermite (128 nodes) when the integrand is smooth and the law is narrower than
 * the activation's own scale (σ ≤ 0.75; tanh's poles at ±iπ/2 then cost < 1e-14); otherwise composite Gauss–Legendre (24 nodes per panel) on
 * [μ − 12σ, μ + 12σ], split at the kinks, at μ + kσ and at the activation's feature scales
 * 0, ±2^j, so that each panel sees a smooth, well-resolved integrand. The mass outside ±12σ is
 * below 2e-32.
 *
 * @internal
 * @module
 */
import { gaussHermiteRule, gaussLegendreRule } from '../gauss-rules.js';
import { normalPdf } from './special.js';

const GH_NODES = 128;
const GH_MAX_STD = 0.75;
const GL_NODES = 24;
const TAIL = 12;

function panelPoints(lo: number, hi: number, extra: readonly number[]): number[] {
  const pts = [lo, hi];
  for (const p of extra) if (p > lo && p < hi) pts.push(p);
  pts.sort((a, b) => a - b);
  const out: number[] = [];
  // Drop a point only when its panel would be negligible both against the whole range and against
  // the points' magnitude: the features at 0, ±2^j stay resolved however wide the law (σ = 1e19 too).
  const span = hi - lo;
  for (const p of pts) {
    const last = out[out.length - 1];
    if (last === undefined || p - last > 1e-12 * Math.min(span, Math.max(Math.abs(p), Math.abs(last))))
      out.push(p);
  }
  out[out.length - 1] = hi;
  return out;
}

const FEATURES: number[] = [0];
for (let j = -4; j <= 6; j++) FEATURES.push(2 ** j, -(2 ** j));
const FAST_FEATURES: number[] = [0];
for (let j = -4; j <= 6; j += 2) FAST_FEATURES.push(2 ** j, -(2 ** j));
const FAST_NODES = 12;

/** ∫_a^b g(x) w(x) dx by composite Gauss–Legendre over the given panel boundaries. */
function compositeLegendre(
  g: (x: number) => number,
  w: (x: number) => number,
  pts: readonly number[],
  order = GL_NODES,
): number {
  const { nodes, weights } = gaussLegendreRule(order);
  let total = 0;
  for (let p = 0; p + 1 < pts.length; p++) {
    const a = pts[p]!;
    const b = pts[p + 1]!;
    const c = 0.5 * (a + b);
    const h = 0.5 * (b - a);
    let s = 0;
    for (let i = 0; i < order; i++) {
      const x = c + h * nodes[i]!;
      s += weights[i]! * g(x) * w(x);
    }
    total += h * s;
  }
  return total;
}

/** E[g(X)] for X ~ N(mean, std²); `kinks` are the x where g is not smooth; `fast` trades accuracy (~1e-9) for speed. */
export function normalExpectation(
  g: (x: number) => number,
  mean: number,
  std: number,
  kinks: readonly number[] = [],
  fast = false,
): number {
  if (std === 0) return g(mean);
  const lo = mean - TAIL * std;
  const hi = mean + TAIL * std;
  const activeKinks = kinks.filter((k) => k > lo && k < hi);
  if (activeKinks.length === 0 && std <= GH_MAX_STD && !fast) {
    const { nodes, weights } = gaussHermiteRule(GH_NODES);
    let s = 0;
    for (let i = 0; i < GH_NODES; i++) s += weights[i]! * g(mean + std * nodes[i]!);
    return s;
  }
  const inv = 1 / std;
  const w = (x: number): number => normalPdf((x - mean) * inv) * inv;
  if (fast) {
    // Cheaper rule for nested (2-D) integrals: 12 nodes per panel, coarser panels, ±10σ; ~1e-9.
    const extra: number[] = [...activeKinks, ...FAST_FEATURES];
    for (let k = -9; k < 10; k += 1.5) extra.push(mean + k * std);
    return compositeLegendre(g, w, panelPoints(mean - 10 * std, mean + 10 * std, extra), FAST_NODES);
  }
  const extra: number[] = [...activeKinks, ...FEATURES];
  for (let k = -TAIL + 1; k < TAIL; k++) extra.push(mean + k * std);
  return compositeLegendre(g, w, panelPoints(lo, hi, extra));
}

/** E[g(X)] for X ~ Uniform(low, high). */
export function uniformExpectation(
  g: (x: number) => number,
  low: number,
  high: number,
  kinks: readonly number[] = [],
): number {
  if (high === low) return g(low);
  const pts = panelPoints(low, high, [...kinks, ...FEATURES]);
  return compositeLegendre(g, () => 1, pts) / (high - low);
}
