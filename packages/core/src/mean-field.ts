/**
 * Mean-field signal propagation in wide random networks (Poole et al. 2016; Schoenholz et al. 2017):
 * the length fixed point q*, the gradient gain χ₁, depth scales and the order-to-chaos phase.
 *
 * @module
 */
import type { Activation, ActivationInput } from './activations.js';
import { ConvergenceError, describeValue, InvalidArgumentError } from './errors.js';
import { normalExpectation } from './internal/gaussian-expectation.js';
import { resolveActivation } from './internal/resolve-activation.js';
import { brent } from './internal/root.js';
import { readOptions, requireInteger, requireNonNegative, requirePositive } from './internal/validate.js';

/** The phase of a wide random network at initialization. */
export type MeanFieldPhase = 'ordered' | 'critical' | 'chaotic';

/** Options of {@link meanField}. */
export interface MeanFieldOptions {
  /** σ_w², the variance of each weight times the fan-in (W_ij ~ N(0, σ_w²/n)). */
  weightVariance: number;
  /** σ_b², the bias variance (default 0). */
  biasVariance?: number;
  /** |χ₁ − 1| ≤ tol counts as critical (default 1e-8). */
  tol?: number;
  /** Starting q for the length-map iteration (default 1); matters only where every q is a fixed point (relu at σ_w² = 2, σ_b² = 0). */
  q0?: number;
}

/** Result of {@link meanField}. */
export interface MeanFieldResult {
  /** q*, the fixed point of q ↦ σ_w² E[φ(√q z)²] + σ_b² reached from q0 (may be 0 or Infinity). */
  readonly qStar: number;
  /** χ₁ = σ_w² E[φ′(√q* z)²], the per-layer factor of the gradient's squared norm. */
  readonly chi1: number;
  /** ξ_∇ = −1/ln χ₁ (Infinity at χ₁ = 1 within 1e-12; negative in the chaotic phase: gradients grow as e^{l/|ξ_∇|}). */
  readonly gradientDepthScale: number;
  /** ξ_c = −1/ln χ_c with χ_c = σ_w² E[φ′(u₁)φ′(u₂)] at the correlation fixed point c* (χ_c = χ₁ when c* = 1). */
  readonly correlationDepthScale: number;
  /** The correlation fixed point c* (1 in the ordered and critical phases). */
  readonly cStar: number;
  /** ordered (χ₁ < 1), critical (χ₁ = 1 within tol) or chaotic (χ₁ > 1). */
  readonly phase: MeanFieldPhase;
}

const Q_INFINITE_PROXY = 1e30;
const Q_ZERO_PROXY = 1e-300;

function lengthMap(a: Activation, sw: number, sb: number, q: number): number {
  const f = a.f;
  return sw * normalExpectation((x) => f(x) ** 2, 0, Math.sqrt(q), a.kinks) + sb;
}

/**
 * q*: the fixed point of the length map reached from q0. The map is monotone, so the iteration
 * from q0 moves towards the nearest root of G(q) = map(q) − q in the direction of sign G(q0);
 * we bracket that root by factors of 4 (1e8 beyond [1e-6, 1e6]) and refine it with Brent's method. When G(q0) is zero to
 * rounding (every q is a fixed point, as for relu at σ_w² = 2 without bias) q0 is returned.
 */
function fixedPointQ(a: Activation, sw: number, sb: number, q0: number): number {
  const G = (q: number): number => lengthMap(a, sw, sb, q) - q;
  const g0 = G(q0);
  if (Math.abs(g0) <= 1e-13 * q0) return q0;
  if (g0 > 0) {
    let lo = q0;
    let glo = g0;
    let hi = 4 * q0;
    let ghi = G(hi);
    while (ghi > 0) {
      if (hi > 1e150) return Number.POSITIVE_INFINITY;
      lo = hi;
      glo = ghi;
      // Factors of 4 near the start, then 1e8: a bracket found far out is narrowed by Brent anyway.
      hi *= hi < 1e6 ? 4 : 1e8;
      ghi = G(hi);
    }
    return brent(G, lo, hi, glo, ghi, 1e-15 * hi);
  }
  let hi = q0;
  let ghi = g0;
  let lo = q0 / 4;
  let glo = G(lo);
  while (glo < 0) {
    if (lo < 1e-280) {
      const gz = sb + sw * a.f(0) ** 2;
      if (gz <= 0) return 0;
      return brent(G, 0, lo, gz, glo, 1e-15 * lo);
    }
    hi = lo;
    ghi = glo;
    lo /= lo > 1e-6 ? 4 : 1e8;
    glo = G(lo);
  }
  return brent(G, lo, hi, glo, ghi, 1e-15 * hi);
}

function evalQ(q: number): number {
  if (q === Number.POSITIVE_INFINITY) return Q_INFINITE_PROXY;
  return Math.max(q, Q_ZERO_PROXY);
}

function chi1At(a: Activation, sw: number, q: number): number {
  const df = a.df;
  // At q* = 0 a smooth φ gives exactly σ_w² φ′(0)²; a kinked one needs the one-sided limit.
  if (q === 0 && a.kinks.length === 0) return sw * df(0) ** 2;
  return sw * normalExpectation((x) => df(x) ** 2, 0, Math.sqrt(evalQ(q)), a.kinks);
}

/** E[g(u₁)h(u₂)] for (u₁, u₂) centred Gaussian with variances q and correlation c (nested 1-D rules). */
function pairExpectation(
  a: Activation,
  g: (x: number) => number,
  h: (x: number) => number,
  q: number,
  c: number,
): number {
  const s = Math.sqrt(q);
  const cond = s * Math.sqrt(Math.max(0, 1 - c * c));
  return normalExpectation(
    (u1) => g(u1) * normalExpectation(h, c * u1, cond, a.kinks, true),
    0,
    s,
    a.kinks,
    true,
  );
}

function meanFieldCore(
  fn: string,
  a: Activation,
  sw: number,
  sb: number,
  tol: number,
  q0: number,
): MeanFieldResult {
  const qStar = fixedPointQ(a, sw, sb, q0);
  const chi1 = chi1At(a, sw, qStar);
  const phase: MeanFieldPhase = Math.abs(chi1 - 1) <= tol ? 'critical' : chi1 < 1 ? 'ordered' : 'chaotic';
  // Infinity where χ = 1 to within the integrals' accuracy (1e-12).
  const depthScale = (chi: number): number =>
    Math.abs(chi - 1) <= 1e-12 ? Number.POSITIVE_INFINITY : -1 / Math.log(chi);
  let cStar = 1;
  let chiC = chi1;
  if (phase === 'chaotic') {
    // c_{l+1} = (σ_w² E[φ(u₁)φ(u₂)] + σ_b²) / (σ_w² E[φ(u)²] + σ_b²): the denominator is q* at a
    // finite fixed point, and keeps the map normalized (C(1) = 1) when q* = ∞.
    const q = evalQ(qStar);
    const norm = lengthMap(a, sw, sb, q);
    const H = (c: number): number => (sw * pairExpectation(a, a.f, a.f, q, c) + sb) / norm - c;
    const h0 = H(0);
    const top = 1 - 1e-8;
    const hTop = H(top);
    if (h0 <= 0) cStar = 0;
    else if (hTop < 0) cStar = brent(H, 0, top, h0, hTop, 1e-13);
    if (cStar < 1) chiC = (sw * pairExpectation(a, a.df, a.df, q, cStar) * q) / norm;
    else if (qStar === Number.POSITIVE_INFINITY) chiC = (chi1 * q) / norm;
  }
  if (!Number.isFinite(chi1) || !Number.isFinite(chiC)) {
    throw new ConvergenceError(
      `${fn}: the mean-field integrals must be finite, got χ₁ = ${chi1}, χ_c = ${chiC}`,
    );
  }
  return {
    qStar,
    chi1,
    gradientDepthScale: depthScale(chi1),
    correlationDepthScale: depthScale(chiC),
    cStar,
    phase,
  };
}

/**
 * Mean-field analysis of a deep fully connected network with weights W_ij ~ N(0, σ_w²/n) and
 * biases b_i ~ N(0, σ_b²) in the wide limit:
 * q* = σ_w² E[φ(√q* z)²] + σ_b², χ₁ = σ_w² E[φ′(√q* z)²], ξ_∇ = −1/ln χ₁, ξ_c = −1/ln χ_c,
 * z ~ N(0, 1). χ₁ < 1: ordered (gradients vanish as χ₁^{l/2}); χ₁ > 1: chaotic (they explode);
 * χ₁ = 1: critical (the edge of chaos, where depth scales diverge). Tanh without bias is critical at σ_w² = 1.
 *
 * Integrals by Gauss–Hermite (split Gauss–Legendre at kinks); q* by bracketing and Brent's
 * method on the monotone length map; c* likewise on the correlation map.
 *
 * @param act - An activation name or object.
 * @param opts - `weightVariance` σ_w² > 0, `biasVariance` σ_b² ≥ 0 (default 0), `tol` (1e-8), `q0` (1).
 * @returns q*, χ₁, the two depth scales, c* and the phase.
 * @throws InvalidArgumentError for an unknown activation or σ_w² ≤ 0, σ_b² < 0; ConvergenceError
 * when an integral is not finite.
 * @example
 * ```ts
 * import { meanField } from '@gflow/core';
 * meanField('tanh', { weightVariance: 1, biasVariance: 0 }).phase; // 'critical'
 * meanField('relu', { weightVariance: 2 }).chi1; // 1 (He initialization)
 * ```
 * @see Poole et al. (2016), "Exponential expressivity in deep neural networks through transient chaos";
 * Schoenholz, Gilmer, Ganguli & Sohl-Dickstein (2017), "Deep Information Propagation".
 */
export function meanField(act: ActivationInput, opts: MeanFieldOptions): MeanFieldResult {
  const fn = 'meanField';
  const a = resolveActivation(fn, act);
  if (opts === null || typeof opts !== 'object') {
    throw new InvalidArgumentError(
      `${fn}: opts must be { weightVariance, biasVariance? }, got ${describeValue(opts)}`,
    );
  }
  const sw = requirePositive(fn, 'opts.weightVariance', opts.weightVariance);
  const sb = requireNonNegative(fn, 'opts.biasVariance', opts.biasVariance ?? 0);
  const tol = requireNonNegative(fn, 'opts.tol', opts.tol ?? 1e-8);
  const q0 = requirePositive(fn, 'opts.q0', opts.q0 ?? 1);
  return meanFieldCore(fn, a, sw, sb, tol, q0);
}

/** χ₁ as a function of σ_w² at fixed σ_b² (q* recomputed for each σ_w²). */
function chi1Of(a: Activation, sb: number): (sw: number) => number {
  return (sw) => chi1At(a, sw, fixedPointQ(a, sw, sb, 1));
}

/** The σ_w² in (lo, ∞) where χ₁(σ_w²) = target, by doubling then Brent. */
function solveChi(fn: string, a: Activation, sb: number, target: number): number {
  const chi = chi1Of(a, sb);
  const F = (sw: number): number => chi(sw) - target;
  let lo = 1e-3;
  let flo = F(lo);
  while (flo > 0 && lo > 1e-12) {
    lo /= 10;
    flo = F(lo);
  }
  let hi = 2 * lo;
  let fhi = F(hi);
  while (fhi < 0) {
    if (hi > 1e8) {
      throw new ConvergenceError(
        `${fn}: χ₁ must reach ${target} for some weight variance ≤ 1e8 for activation "${a.name}" with σ_b² = ${sb}, got χ₁ = ${fhi + target} at σ_w² = ${hi}`,
      );
    }
    lo = hi;
    flo = fhi;
    hi *= 2;
    fhi = F(hi);
  }
  return brent(F, lo, hi, flo, fhi, 1e-14 * hi);
}

/**
 * The critical weight variance σ_w²* at which χ₁ = 1 for a given bias variance: the
 * order-to-chaos transition (relu: 2; tanh with σ_b² = 0: 1).
 *
 * @param act - An activation name or object.
 * @param biasVariance - σ_b² ≥ 0 (default 0).
 * @returns σ_w²* > 0.
 * @throws InvalidArgumentError for bad input; ConvergenceError when χ₁ never reaches 1 for σ_w² ≤ 1e8.
 * @example
 * ```ts
 * import { criticalWeightVariance } from '@gflow/core';
 * criticalWeightVariance('tanh', 0); // 1
 * criticalWeightVariance('relu', 0.1); // 2
 * ```
 * @see Poole et al. (2016); Schoenholz et al. (2017), "Deep Information Propagation".
 */
export function criticalWeightVariance(act: ActivationInput, biasVariance = 0): number {
  const fn = 'criticalWeightVariance';
  const a = resolveActivation(fn, act);
  const sb = requireNonNegative(fn, 'biasVariance', biasVariance);
  return solveChi(fn, a, sb, 1);
}

/** One point of the critical line. */
export interface CriticalPoint {
  /** σ_b². */
  readonly biasVariance: number;
  /** σ_w²* at which χ₁ = 1. */
  readonly weightVariance: number;
}

/**
 * The critical line σ_w²*(σ_b²) of the phase diagram: for each bias variance, the weight
 * variance at which χ₁ = 1 (ordered below, chaotic above).
 *
 * @param act - An activation name or object.
 * @param biasVariances - The σ_b² ≥ 0 values.
 * @returns One {@link CriticalPoint} per bias variance, in the given order.
 * @throws InvalidArgumentError for bad input; ConvergenceError as {@link criticalWeightVariance}.
 * @example
 * ```ts
 * import { criticalLine } from '@gflow/core';
 * criticalLine('tanh', [0, 0.05, 0.1]); // weightVariance rises from 1 with the bias variance
 * ```
 * @see Schoenholz et al. (2017), "Deep Information Propagation", Fig. 1.
 */
export function criticalLine(act: ActivationInput, biasVariances: readonly number[]): CriticalPoint[] {
  const fn = 'criticalLine';
  const a = resolveActivation(fn, act);
  if (!Array.isArray(biasVariances)) {
    throw new InvalidArgumentError(
      `${fn}: biasVariances must be an array of numbers ≥ 0, got ${describeValue(biasVariances)}`,
    );
  }
  return biasVariances.map((b, i) => {
    const sb = requireNonNegative(fn, `biasVariances[${i}]`, b);
    return { biasVariance: sb, weightVariance: solveChi(fn, a, sb, 1) };
  });
}

/** Options of {@link initializationAdvice}. */
export interface InitializationAdviceOptions {
  /** σ_b² (default 0). */
  biasVariance?: number;
  /** Fan-in n, to also report the per-weight standard deviation √(σ_w²/n). */
  fanIn?: number;
}

/** Result of {@link initializationAdvice}. */
export interface InitializationAdvice {
  /** The critical σ_w² (χ₁ = 1). */
  readonly weightVariance: number;
  /** The σ_w² at χ₁ = 1 − 1/depth and at χ₁ = 1 + 1/depth; between them χ₁^depth stays within about e^{±1}. */
  readonly weightVarianceRange: readonly [number, number];
  /** σ_b² used. */
  readonly biasVariance: number;
  /** The depth advised for. */
  readonly depth: number;
  /** √(σ_w²/fanIn) when `fanIn` was given. */
  readonly weightStd?: number;
}

/**
 * The weight variance to initialize a network of a given depth with: the critical σ_w², and the
 * range of σ_w² that keeps χ₁ within 1 ± 1/depth, so that the gradient's squared norm changes by
 * at most about a factor e over the whole depth ((1 ± 1/L)^L ≈ e^{±1}).
 *
 * @param act - An activation name or object.
 * @param depth - Number of layers L ≥ 1.
 * @param opts - `biasVariance` (0), `fanIn` (to report the per-weight std).
 * @returns The critical variance and the admissible range.
 * @throws InvalidArgumentError for bad input; ConvergenceError when no critical point exists.
 * @example
 * ```ts
 * import { initializationAdvice } from '@gflow/core';
 * const a = initializationAdvice('relu', 50, { fanIn: 256 });
 * a.weightVariance; // 2 (He), range [1.96, 2.04]
 * ```
 * @see Schoenholz et al. (2017), "Deep Information Propagation"; He et al. (2015), "Delving deep into rectifiers".
 */
export function initializationAdvice(
  act: ActivationInput,
  depth: number,
  opts?: InitializationAdviceOptions,
): InitializationAdvice {
  const fn = 'initializationAdvice';
  const a = resolveActivation(fn, act);
  const L = requireInteger(fn, 'depth', depth, 1);
  const o = readOptions(fn, opts);
  const sb = requireNonNegative(fn, 'opts.biasVariance', o.biasVariance ?? 0);
  const weightVariance = solveChi(fn, a, sb, 1);
  const lo = L === 1 ? 0 : solveChi(fn, a, sb, 1 - 1 / L);
  const hi = solveChi(fn, a, sb, 1 + 1 / L);
  const base = { weightVariance, weightVarianceRange: [lo, hi] as const, biasVariance: sb, depth: L };
  if (o.fanIn === undefined) return base;
  const n = requireInteger(fn, 'opts.fanIn', o.fanIn, 1);
  return { ...base, weightStd: Math.sqrt(weightVariance / n) };
}
