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
import { normalPdf } from './internal/special.js';
import { readOptions, requireInteger, requireNonNegative, requirePositive } from './internal/validate.js';

/** The phase of a wide random network at initialization. */
export type MeanFieldPhase = 'ordered' | 'critical' | 'chaotic';

/** Options of {@link meanField}. */
export interface MeanFieldOptions {
  /** σ_w², the variance of each weight times the fan-in (W_ij ~ N(0, σ_w²/n)). */
  readonly weightVariance: number;
  /** σ_b², the bias variance (default 0). */
  readonly biasVariance?: number;
  /** |χ₁ − 1| ≤ tol counts as critical (default 1e-8). */
  readonly tol?: number;
  /**
   * Starting q for the length-map iteration (default 1): the fixed point reported is the one this
   * iteration reaches; it matters where every q is a fixed point (relu at σ_w² = 2, σ_b² = 0) or where
   * the map has more than one stable fixed point (gelu at σ_w² = 2.5 without bias: 0 from q0 = 0.01, ∞ from 1).
   */
  readonly q0?: number;
}

/** Result of {@link meanField}. */
export interface MeanFieldResult {
  /**
   * q*, the fixed point of the length map q ↦ σ_w² E[φ(√q z)²] + σ_b² reached from q0: 0 where the
   * length dies out, `Infinity` where the map has no fixed point at or above q0 (relu with σ_w² > 2,
   * or σ_w² = 2 and σ_b² > 0; linear with σ_w² > 1, or σ_w² = 1 and σ_b² > 0; elu at σ_w² ≥ 2).
   */
  readonly qStar: number;
  /** χ₁ = σ_w² E[φ′(√q* z)²], the per-layer factor of the gradient's squared norm (at q* = ∞ its limit σ_w²(a₊² + a₋²)/2, a± = φ′(±∞)). */
  readonly chi1: number;
  /** ξ_∇ = −1/ln χ₁ (Infinity at χ₁ = 1 within 1e-12; negative in the chaotic phase: gradients grow as e^{l/|ξ_∇|}). */
  readonly gradientDepthScale: number;
  /**
   * ξ_c = −1/ln χ_c with χ_c = σ_w² E[φ′(u₁)φ′(u₂)] at the correlation fixed point c* (χ_c = χ₁ when
   * c* = 1 and q* is finite). At q* = ∞ the correlation map tends to one with slope 1 at c = 1, so ξ_c = ∞.
   */
  readonly correlationDepthScale: number;
  /**
   * ξ_q = −1/ln|F′(q*)|, the depth over which the length settles (|q^l − q*| ~ e^{−l/ξ_q}), with
   * F′(q) = χ₁ + σ_w² E[φ″(√q z)φ(√q z)] the slope of the length map (Schoenholz et al. 2017, §3).
   * Infinity where F′(q*) = 1 within 1e-12: relu at σ_w² = 2; q* = 0 at the critical point (tanh
   * at σ_w² = 1 without bias), where q^l → 0 only polynomially; q* = ∞ with F′(∞) = 1 (relu at
   * σ_w² = 2 with bias: q^l = q⁰ + lσ_b²). At q* = ∞, F′ is its limit σ_w²(a₊² + a₋²)/2 = χ₁, so ξ_q
   * is negative when that exceeds 1: q^l then grows as e^{l/|ξ_q|}.
   */
  readonly lengthDepthScale: number;
  /**
   * The correlation fixed point c* (1 in the ordered and critical phases, and at q* = ∞, where the
   * correlation map tends to c ↦ E[ψ(u₁)ψ(u₂)]/E[ψ(u)²] with ψ(x) = a₊x⁺ + a₋x⁻, which exceeds c
   * for every c < 1; for φ with a₊ = a₋, as linear, that limit is the identity and 1 is reported).
   */
  readonly cStar: number;
  /** ordered (χ₁ < 1), critical (χ₁ = 1 within tol) or chaotic (χ₁ > 1). */
  readonly phase: MeanFieldPhase;
}

const Q_ZERO_PROXY = 1e-300;
/** The upward search for q* stops here; a map still above the diagonal there has q* = ∞. */
const Q_SEARCH_MAX = 1e300;
/** Beyond this q the large-q form G(q) ≈ κq + O(√q) decides the sign of G when κ > 0. */
const Q_ASYMPTOTIC = 1e8;

/**
 * How φ behaves for large |x|: φ(x) = a₊x + r(x) for x > 0 and a₋x + r(x) for x < 0 with r bounded,
 * a± = φ′(±∞). Every registry activation has such slopes (0 for the bounded sigmoid and tanh).
 */
interface Asymptotes {
  /** a₊. */
  readonly up: number;
  /** a₋. */
  readonly down: number;
  /** r ≡ 0 (relu, leakyRelu, linear): then the length map is exactly q ↦ s∞·q + σ_b². */
  readonly homogeneous: boolean;
}

const HOMOGENEITY_PROBES = [1e-3, 0.1, 0.5, 1, 1.7, Math.E, 10, 1e3].flatMap((x) => [x, -x]);

/**
 * a± = φ′(±2^k) for the first k in 16, 32, 64, 128 at which φ′ has stopped changing (φ′(±2^{k+1}) is
 * the same float), or undefined when it never does (an activation object without linear asymptotes).
 */
function asymptotesOf(a: Activation): Asymptotes | undefined {
  for (const k of [16, 32, 64, 128]) {
    const x = 2 ** k;
    const up = a.df(x);
    const down = a.df(-x);
    if (!Number.isFinite(up) || !Number.isFinite(down)) return undefined;
    if (a.df(2 * x) !== up || a.df(-2 * x) !== down) continue;
    const homogeneous =
      a.f(0) === 0 && HOMOGENEITY_PROBES.every((t) => a.f(t) === (t > 0 ? up * t : down * t));
    return { up, down, homogeneous };
  }
  return undefined;
}

/** One network: the activation, its asymptotes, σ_w², σ_b² and the length map's pieces. */
interface Net {
  readonly a: Activation;
  readonly asym: Asymptotes | undefined;
  readonly sw: number;
  readonly sb: number;
  /** s∞ = σ_w²(a₊² + a₋²)/2 = lim F(q)/q = lim F′(q) = lim χ₁(q) as q → ∞ (NaN when the slopes are unknown). */
  readonly sInf: number;
  /** κ = s∞ − 1 (−1 when the slopes are unknown: the map is then searched without the split). */
  readonly kappa: number;
  /** ψ(x) = a₊x⁺ + a₋x⁻. */
  readonly psi: (x: number) => number;
  /** Kinks of φ² − ψ² (φ's, and 0 where ψ bends). */
  readonly excessKinks: readonly number[];
}

function makeNet(a: Activation, sw: number, sb: number): Net {
  const asym = asymptotesOf(a);
  const up = asym?.up ?? 0;
  const down = asym?.down ?? 0;
  const sInf = asym === undefined ? Number.NaN : (sw * (up * up + down * down)) / 2;
  return {
    a,
    asym,
    sw,
    sb,
    sInf,
    kappa: asym === undefined ? -1 : sInf - 1,
    psi: (x) => (x > 0 ? up * x : down * x),
    excessKinks: up === down || a.kinks.includes(0) ? a.kinks : [...a.kinks, 0],
  };
}

function lengthMap(net: Net, q: number): number {
  const f = net.a.f;
  return net.sw * normalExpectation((x) => f(x) ** 2, 0, Math.sqrt(q), net.a.kinks) + net.sb;
}

/**
 * G(q) = F(q) − q written as κq + σ_w² E[(φ − ψ)(φ + ψ)] + σ_b²: the linear growth s∞·q is taken out
 * exactly, so the remainder (bounded or O(√q)) is integrated without the cancellation that makes
 * F(q) − q pure rounding noise beyond q ≈ 1e13.
 */
function lengthExcess(net: Net, q: number): number {
  const { a, psi } = net;
  const e = normalExpectation(
    (x) => {
      const p = psi(x);
      const f = a.f(x);
      return (f - p) * (f + p);
    },
    0,
    Math.sqrt(q),
    net.excessKinks,
  );
  return net.kappa * q + net.sw * e + net.sb;
}

/**
 * q*: the fixed point of the length map reached from q0.
 *
 * relu, leakyRelu and linear (φ(x) = a₊x⁺ + a₋x⁻): F(q) = s∞q + σ_b² exactly, so q* = σ_b²/(1 − s∞)
 * for s∞ < 1, q0 for s∞ = 1 and σ_b² = 0 (every q is fixed), and ∞ otherwise.
 *
 * Other activations: the map is monotone, so the iteration from q0 moves towards the nearest root of
 * G(q) = F(q) − q in the direction of sign G(q0); we bracket that root by factors of 4 (1e8 beyond
 * [1e-6, 1e6]) and refine it with Brent's method. Going up, G is evaluated as κq + (a bounded or
 * O(√q) remainder) ({@link lengthExcess}); q* = ∞ once κ > 0 and κq exceeds twice the remainder
 * beyond q = 1e8 (the remainder grows at most as √q), or when G is still positive at q = 1e300
 * (κ = 0 with a positive limit, as elu at σ_w² = 2). When G(q0) is zero to rounding, q0 is returned.
 */
function fixedPointQ(fn: string, net: Net, q0: number): number {
  const { a, asym, sw, sb, kappa } = net;
  if (asym?.homogeneous) {
    if (kappa < 0) return sb / -kappa;
    if (kappa === 0 && sb === 0) return q0;
    return Number.POSITIVE_INFINITY;
  }
  const G = (q: number): number => lengthExcess(net, q);
  const g0 = G(q0);
  if (Math.abs(g0) <= 1e-13 * q0) return q0;
  if (g0 > 0) {
    let lo = q0;
    let glo = g0;
    let hi = 4 * q0;
    let ghi = G(hi);
    while (ghi > 0) {
      if (
        asym !== undefined &&
        kappa > 0 &&
        hi >= Q_ASYMPTOTIC &&
        kappa * hi > 2 * Math.abs(ghi - kappa * hi)
      ) {
        return Number.POSITIVE_INFINITY;
      }
      if (hi >= Q_SEARCH_MAX) {
        if (asym !== undefined) return Number.POSITIVE_INFINITY;
        throw new ConvergenceError(
          `${fn}: the length map must reach a fixed point or have slopes φ′(±∞) to decide q* = ∞, got F(q) > q up to q = ${hi} and φ′ still changing at |x| = 2^128 for activation "${a.name}"`,
        );
      }
      lo = hi;
      glo = ghi;
      // Factors of 4 near the start, then 1e8: a bracket found far out is narrowed by Brent anyway.
      hi = Math.min(Q_SEARCH_MAX, hi * (hi < 1e6 ? 4 : 1e8));
      ghi = G(hi);
    }
    if (asym === undefined && hi > 1e6 && Math.abs(ghi) < 1e-10 * hi) {
      throw new ConvergenceError(
        `${fn}: the length map's sign must be resolvable at its fixed point, got |F(q) − q| = ${Math.abs(ghi)} at q = ${hi}, below the quadrature's accuracy, for activation "${a.name}" without slopes φ′(±∞)`,
      );
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

function chi1At(fn: string, net: Net, q: number): number {
  const { a, sw } = net;
  if (q === Number.POSITIVE_INFINITY) {
    // φ′(√q z) → a₊ for z > 0 and a₋ for z < 0.
    if (net.asym !== undefined) return net.sInf;
    throw new ConvergenceError(
      `${fn}: χ₁ at q* = ∞ needs the limits φ′(±∞), got φ′ still changing at |x| = 2^128 for activation "${a.name}"`,
    );
  }
  if (net.asym?.homogeneous) return net.sInf;
  const df = a.df;
  // At q* = 0 a smooth φ gives exactly σ_w² φ′(0)²; a kinked one needs the one-sided limit.
  if (q === 0 && a.kinks.length === 0) return sw * df(0) ** 2;
  return sw * normalExpectation((x) => df(x) ** 2, 0, Math.sqrt(Math.max(q, Q_ZERO_PROXY)), a.kinks);
}

/**
 * F′(q) = dF/dq, in two forms that Stein's lemma makes equal: the paper's χ₁ + σ_w² E[φ″(x)φ(x)]
 * (plus, at a kink k where φ′ jumps by Δ_k, the point mass σ_w² φ(k)Δ_k p_q(k) of φ″; zero for every
 * registry activation, whose kinks sit at φ = 0), and σ_w² E[x φ(x)φ′(x)]/q, x ~ N(0, q). The first
 * cancels for bounded φ at large q (χ₁ ≈ −σ_w² E[φ″φ] ≫ F′), the second for φ(0) ≠ 0 at small q; the
 * one whose terms cancel less (the ratio of the integral of absolute values to the result) is returned.
 */
function lengthSlope(fn: string, net: Net, q: number, chi1: number): number {
  const { a, sw } = net;
  if (q === Number.POSITIVE_INFINITY || net.asym?.homogeneous) return net.sInf;
  if (q === 0) return chi1 + sw * a.f(0) * a.d2f(0);
  const s = Math.sqrt(q);
  let paper = chi1 + sw * normalExpectation((x) => a.f(x) * a.d2f(x), 0, s, a.kinks);
  let paperAbs = chi1 + sw * normalExpectation((x) => Math.abs(a.f(x) * a.d2f(x)), 0, s, a.kinks);
  for (const k of a.kinks) {
    const fk = a.f(k);
    if (fk === 0) continue;
    const h = 1e-9 * Math.max(1, Math.abs(k));
    const mass = (sw * fk * (a.df(k + h) - a.df(k - h)) * normalPdf(k / s)) / s;
    paper += mass;
    paperAbs += Math.abs(mass);
  }
  const stein = (sw * normalExpectation((x) => x * a.f(x) * a.df(x), 0, s, a.kinks)) / q;
  const steinAbs = (sw * normalExpectation((x) => Math.abs(x * a.f(x) * a.df(x)), 0, s, a.kinks)) / q;
  const slope = paperAbs * Math.abs(stein) <= steinAbs * Math.abs(paper) ? paper : stein;
  if (!Number.isFinite(slope)) {
    throw new ConvergenceError(
      `${fn}: the slope of the length map must be finite, got ${slope} at q* = ${q}`,
    );
  }
  return slope;
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

/** −1/ln|χ|: Infinity where |χ| = 1 to within the integrals' accuracy (1e-12). */
function depthScale(chi: number): number {
  return Math.abs(Math.abs(chi) - 1) <= 1e-12 ? Number.POSITIVE_INFINITY : -1 / Math.log(Math.abs(chi));
}

function meanFieldCore(fn: string, net: Net, tol: number, q0: number): MeanFieldResult {
  const { a, sw, sb } = net;
  const qStar = fixedPointQ(fn, net, q0);
  const chi1 = chi1At(fn, net, qStar);
  const slope = lengthSlope(fn, net, qStar, chi1);
  const phase: MeanFieldPhase = Math.abs(chi1 - 1) <= tol ? 'critical' : chi1 < 1 ? 'ordered' : 'chaotic';
  let cStar = 1;
  let chiC = chi1;
  if (qStar === Number.POSITIVE_INFINITY) {
    // The correlation map's slope at c = 1 is χ₁(q)·q/F(q) → s∞/s∞ = 1, and c = 1 attracts every c.
    chiC = 1;
  } else if (phase === 'chaotic') {
    // c_{l+1} = (σ_w² E[φ(u₁)φ(u₂)] + σ_b²)/q*, the correlation map at the finite fixed point.
    const q = Math.max(qStar, Q_ZERO_PROXY);
    const norm = lengthMap(net, q);
    const H = (c: number): number => (sw * pairExpectation(a, a.f, a.f, q, c) + sb) / norm - c;
    const h0 = H(0);
    const top = 1 - 1e-8;
    const hTop = H(top);
    if (h0 <= 0) cStar = 0;
    else if (hTop < 0) cStar = brent(H, 0, top, h0, hTop, 1e-13);
    if (cStar < 1) chiC = (sw * pairExpectation(a, a.df, a.df, q, cStar) * q) / norm;
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
    lengthDepthScale: depthScale(slope),
    cStar,
    phase,
  };
}

/**
 * Mean-field analysis of a deep fully connected network with weights W_ij ~ N(0, σ_w²/n) and
 * biases b_i ~ N(0, σ_b²) in the wide limit:
 * q* = F(q*) with the length map F(q) = σ_w² E[φ(√q z)²] + σ_b², χ₁ = σ_w² E[φ′(√q* z)²],
 * ξ_∇ = −1/ln χ₁, ξ_c = −1/ln χ_c, ξ_q = −1/ln F′(q*) with F′(q) = χ₁ + σ_w² E[φ″(√q z)φ(√q z)],
 * z ~ N(0, 1). χ₁ < 1: ordered (gradients vanish as χ₁^{l/2}); χ₁ > 1: chaotic (they explode);
 * χ₁ = 1: critical (the edge of chaos, where depth scales diverge). Tanh without bias is critical at σ_w² = 1.
 *
 * Where F has no fixed point at or above q0, q* = ∞ (the length grows without bound) and χ₁, c*, ξ_c
 * and ξ_q are the limits of their maps as q → ∞. With a± = φ′(±∞) (relu 1 and 0, elu 1 and 0, selu
 * λ and 0, linear 1 and 1, tanh and sigmoid 0 and 0), F(q)/q → s∞ = σ_w²(a₊² + a₋²)/2, and:
 * relu, leakyRelu and linear have F(q) = s∞q + σ_b² exactly, so q* = σ_b²/(1 − s∞) for s∞ < 1 and
 * q* = ∞ for s∞ > 1 or s∞ = 1 with σ_b² > 0 (relu: σ_w² > 2, or σ_w² = 2 with a bias); for the other
 * activations F(q) − q is evaluated as (s∞ − 1)q plus a remainder free of cancellation, and q* = ∞
 * when it stays positive (elu and softplus at σ_w² ≥ 2, selu at σ_w² ≥ 2/λ², where φ² ≥ relu²
 * gives F(q) ≥ s∞q); sigmoid and tanh always have a finite q*. At q* = ∞: χ₁ = s∞, c* = 1 and ξ_c = ∞ (the correlation map's slope at
 * c = 1 is χ₁q/F(q) → 1), ξ_q = −1/ln s∞.
 *
 * Integrals by Gauss–Hermite (split Gauss–Legendre at kinks); q* by bracketing and Brent's
 * method on the monotone length map; c* likewise on the correlation map.
 *
 * @param act - An activation name or object.
 * @param options - `weightVariance` σ_w² > 0, `biasVariance` σ_b² ≥ 0 (default 0), `tol` (1e-8), `q0` (1).
 * @returns q*, χ₁, the three depth scales ξ_∇, ξ_c, ξ_q, c* and the phase.
 * @throws InvalidArgumentError for an unknown activation, an activation object without `d2f`, or
 * σ_w² ≤ 0, σ_b² < 0; ConvergenceError when an integral is not finite, or when an activation object
 * whose φ′ has no limits at ±∞ has no fixed point (χ₁ at q* = ∞ is then undefined).
 * @example
 * ```ts
 * import { meanField } from '@gflow/core';
 * meanField('tanh', { weightVariance: 1, biasVariance: 0 }).phase; // 'critical'
 * meanField('relu', { weightVariance: 2 }).chi1; // 1 (He initialization)
 * meanField('relu', { weightVariance: 2, biasVariance: 0.05 }).qStar; // Infinity: q grows by σ_b² a layer
 * meanField('relu', { weightVariance: 1.5, biasVariance: 0.2 }).lengthDepthScale; // −1/ln 0.75 = 3.48
 * ```
 * @see Poole et al. (2016), "Exponential expressivity in deep neural networks through transient chaos";
 * Schoenholz, Gilmer, Ganguli & Sohl-Dickstein (2017), "Deep Information Propagation".
 */
export function meanField(act: ActivationInput, options: MeanFieldOptions): MeanFieldResult {
  const fn = 'meanField';
  const a = resolveActivation(fn, act);
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(
      `${fn}: options must be { weightVariance, biasVariance? }, got ${describeValue(options)}`,
    );
  }
  const sw = requirePositive(fn, 'options.weightVariance', options.weightVariance);
  const sb = requireNonNegative(fn, 'options.biasVariance', options.biasVariance ?? 0);
  const tol = requireNonNegative(fn, 'options.tol', options.tol ?? 1e-8);
  const q0 = requirePositive(fn, 'options.q0', options.q0 ?? 1);
  if (typeof a.d2f !== 'function') {
    throw new InvalidArgumentError(
      `${fn}: activation.d2f must be a function (ξ_q needs φ″), got ${describeValue(a.d2f)}`,
    );
  }
  return meanFieldCore(fn, makeNet(a, sw, sb), tol, q0);
}

/** χ₁ as a function of σ_w² at fixed σ_b² (q* recomputed for each σ_w²; at q* = ∞, its limit s∞). */
function chi1Of(fn: string, a: Activation, sb: number): (sw: number) => number {
  return (sw) => {
    const net = makeNet(a, sw, sb);
    return chi1At(fn, net, fixedPointQ(fn, net, 1));
  };
}

/** The σ_w² in (lo, ∞) where χ₁(σ_w²) = target, by doubling then Brent. */
function solveChi(fn: string, a: Activation, sb: number, target: number): number {
  const chi = chi1Of(fn, a, sb);
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
  readonly biasVariance?: number;
  /** Fan-in n, to also report the per-weight standard deviation √(σ_w²/n). */
  readonly fanIn?: number;
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
 * @param options - `biasVariance` (0), `fanIn` (to report the per-weight std).
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
  options?: InitializationAdviceOptions,
): InitializationAdvice {
  const fn = 'initializationAdvice';
  const a = resolveActivation(fn, act);
  const L = requireInteger(fn, 'depth', depth, 1);
  const o = readOptions(fn, options);
  const sb = requireNonNegative(fn, 'options.biasVariance', o.biasVariance ?? 0);
  const weightVariance = solveChi(fn, a, sb, 1);
  const lo = L === 1 ? 0 : solveChi(fn, a, sb, 1 - 1 / L);
  const hi = solveChi(fn, a, sb, 1 + 1 / L);
  const base = { weightVariance, weightVarianceRange: [lo, hi] as const, biasVariance: sb, depth: L };
  if (o.fanIn === undefined) return base;
  const n = requireInteger(fn, 'options.fanIn', o.fanIn, 1);
  return { ...base, weightStd: Math.sqrt(weightVariance / n) };
}
