/**
 * Lyapunov exponents of a product of Jacobians by repeated QR (Benettin et al. 1980).
 *
 * @module
 */
import { Matrix, QrDecomposition } from 'ml-matrix';
import { describeValue, InvalidArgumentError, ShapeError } from './errors.js';
import { toDense } from './internal/matrix.js';
import { createRng } from './internal/rng.js';
import { readOptions, requireInteger, requireNonNegative } from './internal/validate.js';
import type { DenseMatrix, MatrixLike } from './matrix-like.js';

/** The dynamical regime implied by the largest Lyapunov exponent. */
export type LyapunovRegime = 'ordered' | 'edge-of-chaos' | 'chaotic';

/** Options of {@link lyapunovSpectrum}. */
export interface LyapunovOptions {
  /** Number of exponents k (default min(n, 8)). */
  readonly k?: number;
  /** Number of steps accumulated (default: the number of Jacobians minus `warmup`; required for a function). */
  readonly steps?: number;
  /**
   * Steps run before accumulating (default 0): lets the random start align with the dominant
   * directions, removing the O(1/T) transient bias of the estimate.
   */
  readonly warmup?: number;
  /** Seed of the random orthonormal start (default 0). */
  readonly seed?: number;
  /**
   * The QR procedure for the n×k block: `'gram-schmidt'` (default: modified Gram–Schmidt with one
   * reorthogonalization pass, on Float64Array columns) or `'householder'` (ml-matrix QR).
   */
  readonly qr?: 'gram-schmidt' | 'householder';
  /** |λ_max| at or below this is the edge of chaos (default 0.01 nats per step). */
  readonly edgeTolerance?: number;
}

/** Result of {@link lyapunovSpectrum}. */
export interface LyapunovSpectrum {
  /** The k largest exponents λ_1 ≥ … ≥ λ_k, in nats per step: λ_i = (1/T) Σ_t ln |R_t[i,i]|. */
  readonly exponents: number[];
  /** Number of accumulated steps T (after the warmup). */
  readonly steps: number;
  /** ordered (λ_1 < −tol), edge-of-chaos (|λ_1| ≤ tol) or chaotic (λ_1 > tol). */
  readonly regime: LyapunovRegime;
}

/** Either a list of Jacobians or a function t ↦ J_t. */
export type JacobianSequence = readonly MatrixLike[] | ((t: number) => MatrixLike);

/** In-place MGS with one reorthogonalization pass on k columns of length n (column-major); returns |r_ii|. */
function mgsQr(Z: Float64Array, n: number, k: number, rdiag: Float64Array): void {
  for (let c = 0; c < k; c++) {
    const oc = c * n;
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < c; p++) {
        const op = p * n;
        let d = 0;
        for (let i = 0; i < n; i++) d += Z[op + i]! * Z[oc + i]!;
        for (let i = 0; i < n; i++) Z[oc + i]! -= d * Z[op + i]!;
      }
    }
    let s = 0;
    for (let i = 0; i < n; i++) s += Z[oc + i]! * Z[oc + i]!;
    const r = Math.sqrt(s);
    rdiag[c] = r;
    if (r > 0) {
      const inv = 1 / r;
      for (let i = 0; i < n; i++) Z[oc + i]! *= inv;
    } else {
      // The column collapsed (rank-deficient Jacobian): the exponent is −Infinity; keep an arbitrary unit vector.
      Z[oc + (c % n)] = 1;
    }
  }
}

function householderQr(Z: Float64Array, n: number, k: number, rdiag: Float64Array): void {
  const m = new Matrix(n, k);
  for (let c = 0; c < k; c++) for (let i = 0; i < n; i++) m.set(i, c, Z[c * n + i]!);
  const qr = new QrDecomposition(m);
  const q = qr.orthogonalMatrix;
  const r = qr.upperTriangularMatrix;
  for (let c = 0; c < k; c++) {
    rdiag[c] = Math.abs(r.get(c, c));
    for (let i = 0; i < n; i++) Z[c * n + i] = q.get(i, c);
  }
}

/**
 * The k largest Lyapunov exponents of the product J_{T−1} ⋯ J_1 J_0 by repeated QR
 * (Benettin et al. 1980): Q_{t+1} R_t = J_t Q_t, λ_i = (1/T) Σ_t ln |R_t[i,i]|.
 * λ_1 > 0 means perturbations (and gradients) grow exponentially with depth or time, λ_1 < 0 that they vanish.
 *
 * @param jacobians - A list of square n×n Jacobians, or a function t ↦ J_t (then `options.steps` is required).
 * @param options - `k` (min(n, 8)), `steps`, `warmup` (0), `seed` (0), `qr` ('gram-schmidt'), `edgeTolerance` (0.01).
 * @returns The exponents (descending, nats per step), the step count and the regime.
 * @throws InvalidArgumentError for an empty list, a bad k or steps; ShapeError for non-square or
 * differently sized Jacobians; NonFiniteError for non-finite entries.
 * @example
 * ```ts
 * import { lyapunovSpectrum } from '@gflow/core';
 * const J = [[2, 0], [0, 0.5]];
 * lyapunovSpectrum((t) => J, { k: 2, steps: 50, warmup: 60 }).exponents; // [ln 2, −ln 2]
 * ```
 * @see Benettin, Galgani, Giorgilli & Strelcyn (1980), Meccanica 15; Pennington, Schoenholz & Ganguli (2018),
 * "The emergence of spectral universality in deep networks"; Engelken, Wolf & Abbott (2023), "Lyapunov spectra of chaotic recurrent neural networks".
 */
export function lyapunovSpectrum(jacobians: JacobianSequence, options?: LyapunovOptions): LyapunovSpectrum {
  // Kept whole: the QR method of Benettin et al. (1980) with its warm-up, running log-sums and convergence test sharing one orthonormal frame; the input forms (array or function) are resolved at the top because the loop needs both `steps` and `get`.
  const fn = 'lyapunovSpectrum';
  const o = readOptions(fn, options);
  let steps: number;
  let get: (t: number) => MatrixLike;
  const warmup = requireInteger(fn, 'options.warmup', o.warmup ?? 0, 0);
  if (typeof jacobians === 'function') {
    if (o.steps === undefined) {
      throw new InvalidArgumentError(
        `${fn}: options.steps must be given when jacobians is a function, got undefined`,
      );
    }
    steps = requireInteger(fn, 'options.steps', o.steps, 1);
    get = jacobians;
  } else if (Array.isArray(jacobians) && jacobians.length > warmup) {
    steps = requireInteger(
      fn,
      'options.steps',
      o.steps ?? jacobians.length - warmup,
      1,
      jacobians.length - warmup,
    );
    get = (t) => jacobians[t]!;
  } else {
    throw new InvalidArgumentError(
      `${fn}: jacobians must be an array of more than options.warmup = ${warmup} matrices, or a function t => J_t, got ${describeValue(jacobians)}`,
    );
  }
  const qrKind = o.qr ?? 'gram-schmidt';
  if (qrKind !== 'gram-schmidt' && qrKind !== 'householder') {
    throw new InvalidArgumentError(
      `${fn}: options.qr must be 'gram-schmidt' or 'householder', got ${describeValue(qrKind)}`,
    );
  }
  const edge = requireNonNegative(fn, 'options.edgeTolerance', o.edgeTolerance ?? 0.01);
  const first: DenseMatrix = toDense(fn, 'jacobians[0]', get(0));
  const n = first.rows;
  if (first.cols !== n)
    throw new ShapeError(`${fn}: jacobians[0] must be square, got shape [${first.rows}, ${first.cols}]`);
  const k = requireInteger(fn, 'options.k', o.k ?? Math.min(n, 8), 1, n);
  // Q is n×k column-major: column c at [c*n, (c+1)*n).
  let Q = new Float64Array(n * k);
  const rng = createRng(o.seed ?? 0);
  for (let i = 0; i < Q.length; i++) Q[i] = rng.normal();
  const rdiag = new Float64Array(k);
  mgsQr(Q, n, k, rdiag);
  let Z = new Float64Array(n * k);
  const sums = new Float64Array(k);
  const qr = qrKind === 'householder' ? householderQr : mgsQr;
  for (let t = 0; t < warmup + steps; t++) {
    const J = t === 0 ? first : toDense(fn, `jacobians[${t}]`, get(t));
    if (J.rows !== n || J.cols !== n) {
      throw new ShapeError(
        `${fn}: jacobians[${t}] must have shape [${n}, ${n}] like jacobians[0], got [${J.rows}, ${J.cols}]`,
      );
    }
    const d = J.data;
    // Z = J Q: column c is J·q_c, the dot products of J's rows with q_c, four columns at a time
    // (each row of J is read once per block of four; about 2× faster than one column at a time).
    for (let i = 0; i < n; i++) {
      const oi = i * n;
      let c = 0;
      for (; c + 3 < k; c += 4) {
        const o0 = c * n;
        const o1 = o0 + n;
        const o2 = o1 + n;
        const o3 = o2 + n;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let j = 0; j < n; j++) {
          const a = d[oi + j]!;
          s0 += a * Q[o0 + j]!;
          s1 += a * Q[o1 + j]!;
          s2 += a * Q[o2 + j]!;
          s3 += a * Q[o3 + j]!;
        }
        Z[o0 + i] = s0;
        Z[o1 + i] = s1;
        Z[o2 + i] = s2;
        Z[o3 + i] = s3;
      }
      for (; c < k; c++) {
        const oc = c * n;
        let s = 0;
        for (let j = 0; j < n; j++) s += d[oi + j]! * Q[oc + j]!;
        Z[oc + i] = s;
      }
    }
    qr(Z, n, k, rdiag);
    if (t >= warmup) for (let c = 0; c < k; c++) sums[c]! += Math.log(rdiag[c]!);
    const tmp = Q;
    Q = Z;
    Z = tmp;
  }
  const exponents = Array.from(sums, (s) => s / steps).sort((a, b) => b - a);
  const top = exponents[0]!;
  const regime: LyapunovRegime = top > edge ? 'chaotic' : top < -edge ? 'ordered' : 'edge-of-chaos';
  return { exponents, steps, regime };
}

/**
 * The largest Lyapunov exponent λ_1 = lim (1/T) ln ‖J_{T−1} ⋯ J_0 v‖ for a generic v,
 * by {@link lyapunovSpectrum} with k = 1.
 *
 * @param jacobians - A list of square Jacobians or a function t ↦ J_t (then `options.steps` is required).
 * @param options - As for {@link lyapunovSpectrum} (k is 1).
 * @returns λ_1 in nats per step.
 * @throws As {@link lyapunovSpectrum}.
 * @example
 * ```ts
 * import { maxLyapunovExponent } from '@gflow/core';
 * const J = [[0.5, 0], [0, 0.25]];
 * maxLyapunovExponent((t) => J, { steps: 20, warmup: 100 }); // ln 0.5
 * ```
 * @see Benettin et al. (1980); Poole et al. (2016), "Exponential expressivity in deep neural networks through transient chaos".
 */
export function maxLyapunovExponent(
  jacobians: JacobianSequence,
  options?: Omit<LyapunovOptions, 'k'>,
): number {
  return lyapunovSpectrum(jacobians, { ...readOptions('maxLyapunovExponent', options), k: 1 }).exponents[0]!;
}
