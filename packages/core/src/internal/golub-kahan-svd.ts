/**
 * Singular values (no vectors) of a dense float64 matrix: Householder Golub–Kahan
 * bidiagonalization followed by the Demmel–Kahan implicit QR iteration on the bidiagonal.
 *
 * Why our own and not ml-matrix's SVD: ml-matrix (a JAMA port) keeps its matrix as an array of
 * row arrays and applies each reflector column by column, so every inner loop strides across rows;
 * for 256×256 it takes ~100 ms. This version stores the working copy as one row-major
 * Float64Array and applies every reflector as row-oriented rank-1 updates (contiguous inner
 * loops, two rows at a time), about 4–5× faster, and its bidiagonal iteration has the
 * Demmel–Kahan relative-accuracy guarantees (JAMA's shifted QR only has absolute accuracy).
 *
 * Accuracy: the bidiagonalization is backward stable, so every σ_i is correct to about
 * ε·σ_max·p(n) absolutely (Golub & Van Loan §8.6); the bidiagonal's singular values are then
 * found to high relative accuracy (Demmel & Kahan 1990), which adds no error beyond that.
 *
 * @see Golub & Kahan (1965), "Calculating the singular values and pseudo-inverse of a matrix".
 * @see Demmel & Kahan (1990), "Accurate singular values of bidiagonal matrices" (LAPACK's dbdsqr).
 * @see Golub & Van Loan, "Matrix Computations", 4th ed., §5.4.8 and §8.6.
 * @internal
 * @module
 */
import { ConvergenceError } from '../errors.js';
import type { DenseMatrix } from '../matrix-like.js';

/** Unit roundoff as LAPACK's dlamch('E') (2⁻⁵³). */
const EPS = 2 ** -53;
/** Smallest normal double (dlamch('S')). */
const UNFL = 2 ** -1022;
/** LAPACK dbdsqr's MAXITR: at most 6·n² inner QR steps in total. */
const MAXITR = 6;

/**
 * Builds a Householder reflector H = I − τ v vᵀ with H x = β e₁ (LAPACK dlarfg, v₀ = 1).
 * `x` is read from `src[off + k·stride]`, k = 0..len−1; v is written into `v[0..len−1]`.
 * Returns τ and β (τ = 0, β = x₀ when x₁.. are all zero).
 */
function householder(
  src: Float64Array,
  off: number,
  stride: number,
  len: number,
  v: Float64Array,
  out: { tau: number; beta: number },
): void {
  const alpha = src[off]!;
  let ss = 0;
  for (let k = 1; k < len; k++) {
    const x = src[off + k * stride]!;
    ss += x * x;
  }
  v[0] = 1;
  if (ss === 0) {
    for (let k = 1; k < len; k++) v[k] = 0;
    out.tau = 0;
    out.beta = alpha;
    return;
  }
  let xnorm: number;
  if (ss > 1e-280) xnorm = Math.sqrt(ss);
  else {
    // The squares may have underflowed: recompute the tail norm with scaling.
    let scale = 0;
    for (let k = 1; k < len; k++) scale = Math.max(scale, Math.abs(src[off + k * stride]!));
    let s2 = 0;
    for (let k = 1; k < len; k++) {
      const x = src[off + k * stride]! / scale;
      s2 += x * x;
    }
    xnorm = scale * Math.sqrt(s2);
  }
  const norm = Math.hypot(alpha, xnorm);
  const beta = alpha >= 0 ? -norm : norm;
  // |alpha − beta| = |alpha| + norm ≥ |x_k|: dividing (not multiplying by a reciprocal) cannot overflow.
  const den = alpha - beta;
  for (let k = 1; k < len; k++) v[k] = src[off + k * stride]! / den;
  out.tau = (beta - alpha) / beta;
  out.beta = beta;
}

/**
 * Reduces the m×n row-major matrix `a` (m ≥ n, overwritten) to upper bidiagonal form
 * B = Uᵀ A V by alternating left and right Householder reflectors (Golub & Kahan 1965;
 * Golub & Van Loan Alg. 5.4.2), about 4mn² − 4n³/3 flops. U and V are not formed.
 * Writes the diagonal into `d` (length n) and the superdiagonal into `e` (length n − 1).
 */
export function bidiagonalize(a: Float64Array, m: number, n: number, d: Float64Array, e: Float64Array): void {
  const v = new Float64Array(m);
  const u = new Float64Array(n);
  const w = new Float64Array(n);
  const h = { tau: 0, beta: 0 };
  for (let k = 0; k < n; k++) {
    // Left reflector: zero A[k+1:, k]. Apply to A[k:, k+1:] as A ← A − τ v (vᵀA).
    householder(a, k * n + k, n, m - k, v, h);
    d[k] = h.beta;
    const tl = h.tau;
    const j0 = k + 1;
    if (k === n - 1) break;
    if (tl !== 0) {
      for (let j = j0; j < n; j++) w[j] = 0;
      // w = vᵀ A[k:, k+1:], four rows per pass over w.
      let i = k;
      for (; i + 3 < m; i += 4) {
        const v0 = v[i - k]!;
        const v1 = v[i + 1 - k]!;
        const v2 = v[i + 2 - k]!;
        const v3 = v[i + 3 - k]!;
        const o0 = i * n;
        const o1 = o0 + n;
        const o2 = o1 + n;
        const o3 = o2 + n;
        for (let j = j0; j < n; j++) {
          w[j]! += v0 * a[o0 + j]! + v1 * a[o1 + j]! + v2 * a[o2 + j]! + v3 * a[o3 + j]!;
        }
      }
      for (; i + 1 < m; i += 2) {
        const v0 = v[i - k]!;
        const v1 = v[i + 1 - k]!;
        const o0 = i * n;
        const o1 = o0 + n;
        for (let j = j0; j < n; j++) w[j]! += v0 * a[o0 + j]! + v1 * a[o1 + j]!;
      }
      if (i < m) {
        const v0 = v[i - k]!;
        const o0 = i * n;
        for (let j = j0; j < n; j++) w[j]! += v0 * a[o0 + j]!;
      }
      for (let j = j0; j < n; j++) w[j]! *= tl;
      // Row k gets its left update first: the right reflector is built from it.
      const ok = k * n;
      for (let j = j0; j < n; j++) a[ok + j]! -= w[j]!;
    }
    // Right reflector from row k: zero A[k, k+2:]. Apply to rows k+1.. as A ← A − τ (A u) uᵀ,
    // fused with those rows' left update while each row sits in L1 cache.
    let tr = 0;
    if (k < n - 2) {
      householder(a, k * n + j0, 1, n - j0, u, h);
      e[k] = h.beta;
      tr = h.tau;
    } else {
      e[k] = a[k * n + j0]!;
    }
    if (tl === 0 && tr === 0) continue;
    const len = n - j0;
    let i = k + 1;
    if (tr !== 0) {
      // Two rows at a time: each pass over w and u serves both rows. The left update and the
      // dot product with u share one pass; the right update is the second.
      for (; i + 3 < m; i += 4) {
        const o0 = i * n + j0;
        const o1 = o0 + n;
        const o2 = o1 + n;
        const o3 = o2 + n;
        const v0 = tl !== 0 ? v[i - k]! : 0;
        const v1 = tl !== 0 ? v[i + 1 - k]! : 0;
        const v2 = tl !== 0 ? v[i + 2 - k]! : 0;
        const v3 = tl !== 0 ? v[i + 3 - k]! : 0;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let j = 0; j < len; j++) {
          const wj = w[j0 + j]!;
          const uj = u[j]!;
          const x0 = a[o0 + j]! - v0 * wj;
          const x1 = a[o1 + j]! - v1 * wj;
          const x2 = a[o2 + j]! - v2 * wj;
          const x3 = a[o3 + j]! - v3 * wj;
          a[o0 + j] = x0;
          a[o1 + j] = x1;
          a[o2 + j] = x2;
          a[o3 + j] = x3;
          s0 += x0 * uj;
          s1 += x1 * uj;
          s2 += x2 * uj;
          s3 += x3 * uj;
        }
        s0 *= tr;
        s1 *= tr;
        s2 *= tr;
        s3 *= tr;
        for (let j = 0; j < len; j++) {
          const uj = u[j]!;
          a[o0 + j]! -= s0 * uj;
          a[o1 + j]! -= s1 * uj;
          a[o2 + j]! -= s2 * uj;
          a[o3 + j]! -= s3 * uj;
        }
      }
      for (; i + 1 < m; i += 2) {
        const o0 = i * n + j0;
        const o1 = o0 + n;
        const v0 = tl !== 0 ? v[i - k]! : 0;
        const v1 = tl !== 0 ? v[i + 1 - k]! : 0;
        let s0 = 0;
        let s1 = 0;
        for (let j = 0; j < len; j++) {
          const wj = w[j0 + j]!;
          const uj = u[j]!;
          const x0 = a[o0 + j]! - v0 * wj;
          const x1 = a[o1 + j]! - v1 * wj;
          a[o0 + j] = x0;
          a[o1 + j] = x1;
          s0 += x0 * uj;
          s1 += x1 * uj;
        }
        s0 *= tr;
        s1 *= tr;
        for (let j = 0; j < len; j++) {
          const uj = u[j]!;
          a[o0 + j]! -= s0 * uj;
          a[o1 + j]! -= s1 * uj;
        }
      }
      for (; i < m; i++) {
        const o = i * n + j0;
        const vi = tl !== 0 ? v[i - k]! : 0;
        let s = 0;
        for (let j = 0; j < len; j++) {
          const x = a[o + j]! - vi * w[j0 + j]!;
          a[o + j] = x;
          s += x * u[j]!;
        }
        s *= tr;
        for (let j = 0; j < len; j++) a[o + j]! -= s * u[j]!;
      }
    } else {
      for (; i < m; i++) {
        const o = i * n + j0;
        const vi = v[i - k]!;
        if (vi !== 0) for (let j = 0; j < len; j++) a[o + j]! -= vi * w[j0 + j]!;
      }
    }
  }
}

/** r = √(f² + g²), guarding the squares against overflow and underflow. */
function pythag(f: number, g: number): number {
  const af = Math.abs(f);
  const ag = Math.abs(g);
  const big = Math.max(af, ag);
  if (big < 1e150 && big > 1e-150) return Math.sqrt(f * f + g * g);
  return Math.hypot(f, g);
}

/** Plane rotation [c s; −s c]·[f; g] = [r; 0] (LAPACK dlartg, sign conventions irrelevant here). */
function rot(f: number, g: number, out: { c: number; s: number; r: number }): void {
  if (g === 0) {
    out.c = 1;
    out.s = 0;
    out.r = f;
  } else if (f === 0) {
    out.c = 0;
    out.s = 1;
    out.r = g;
  } else {
    const r = pythag(f, g);
    out.c = f / r;
    out.s = g / r;
    out.r = r;
  }
}

/** Singular values of the 2×2 upper triangular [[f, g], [0, h]] to high relative accuracy (LAPACK dlas2). */
function svd2(f: number, g: number, h: number, out: { min: number; max: number }): void {
  const fa = Math.abs(f);
  const ga = Math.abs(g);
  const ha = Math.abs(h);
  const fhmn = Math.min(fa, ha);
  const fhmx = Math.max(fa, ha);
  if (fhmn === 0) {
    out.min = 0;
    if (fhmx === 0) out.max = ga;
    else {
      const mx = Math.max(fhmx, ga);
      const mn = Math.min(fhmx, ga);
      out.max = mx * Math.sqrt(1 + (mn / mx) ** 2);
    }
  } else if (ga < fhmx) {
    const as = 1 + fhmn / fhmx;
    const at = (fhmx - fhmn) / fhmx;
    const au = (ga / fhmx) ** 2;
    const c = 2 / (Math.sqrt(as * as + au) + Math.sqrt(at * at + au));
    out.min = fhmn * c;
    out.max = fhmx / c;
  } else {
    const au = fhmx / ga;
    if (au === 0) {
      // Avoid underflow: ga dominates so much that fhmx/ga is 0.
      out.min = (fhmn * fhmx) / ga;
      out.max = ga;
    } else {
      const as = 1 + fhmn / fhmx;
      const at = (fhmx - fhmn) / fhmx;
      const c = 1 / (Math.sqrt(1 + (as * au) ** 2) + Math.sqrt(1 + (at * au) ** 2));
      out.min = 2 * (fhmn * c * au);
      out.max = ga / (c + c);
    }
  }
}

/**
 * Singular values of the upper bidiagonal B = diag(d) + superdiag(e) to high relative accuracy,
 * by the implicit QR iteration of Demmel & Kahan (1990) without vectors: zero-shift QR sweeps when
 * a shift could spoil the smallest singular values' relative accuracy, Wilkinson-like shifts from
 * the trailing 2×2 otherwise, bulge chasing from the larger end, and the relative convergence
 * criterion |e_i| ≤ tol·μ_i. A transcription of LAPACK dbdsqr's value-only path.
 * `d` and `e` are overwritten; `d` ends holding |σ_i|, in no particular order.
 *
 * @throws ConvergenceError if 6n² inner steps do not suffice (never observed; LAPACK's limit).
 */
export function bidiagonalSingularValues(fn: string, d: Float64Array, e: Float64Array): void {
  const n = d.length;
  if (n === 0) return;
  const tolmul = Math.max(10, Math.min(100, EPS ** -0.125));
  const tol = tolmul * EPS;
  let smax = 0;
  for (let i = 0; i < n; i++) smax = Math.max(smax, Math.abs(d[i]!));
  for (let i = 0; i < n - 1; i++) smax = Math.max(smax, Math.abs(e[i]!));
  // Relative accuracy threshold from a lower bound on σ_min (Demmel & Kahan's μ recurrence).
  let sminoa = Math.abs(d[0]!);
  if (sminoa !== 0) {
    let mu = sminoa;
    for (let i = 1; i < n; i++) {
      mu = Math.abs(d[i]!) * (mu / (mu + Math.abs(e[i - 1]!)));
      sminoa = Math.min(sminoa, mu);
      if (sminoa === 0) break;
    }
  }
  sminoa /= Math.sqrt(n);
  const thresh = Math.max(tol * sminoa, MAXITR * n * n * UNFL);
  const maxit = MAXITR * n * n;
  let iter = 0;
  let oldll = -1;
  let oldm = -1;
  let idir = 0;
  let m = n - 1; // bottom of the active block (0-based)
  const r = { c: 1, s: 0, r: 0 };
  const s2 = { min: 0, max: 0 };
  outer: while (m > 0) {
    if (iter > maxit) {
      throw new ConvergenceError(
        `${fn}: the bidiagonal QR iteration must converge within ${maxit} steps, got no convergence (matrix order ${n})`,
      );
    }
    // Find the top `ll` of the bottom unreduced block d[ll..m].
    smax = Math.abs(d[m]!);
    let ll = -1;
    for (let l = m - 1; l >= 0; l--) {
      const abss = Math.abs(d[l]!);
      const abse = Math.abs(e[l]!);
      if (abse <= thresh) {
        e[l] = 0;
        if (l === m - 1) {
          m -= 1;
          continue outer;
        }
        ll = l;
        break;
      }
      smax = Math.max(smax, abss, abse);
    }
    ll += 1;
    if (ll === m - 1) {
      // 2×2 block: its singular values directly.
      svd2(d[m - 1]!, e[m - 1]!, d[m]!, s2);
      d[m - 1] = s2.max;
      e[m - 1] = 0;
      d[m] = s2.min;
      m -= 2;
      continue;
    }
    // A new block: chase the bulge from the larger end towards the smaller.
    if (ll > oldm || m < oldll) idir = Math.abs(d[ll]!) >= Math.abs(d[m]!) ? 1 : 2;
    // Convergence tests.
    let sminl = 0;
    if (idir === 1) {
      if (Math.abs(e[m - 1]!) <= tol * Math.abs(d[m]!)) {
        e[m - 1] = 0;
        continue;
      }
      let mu = Math.abs(d[ll]!);
      sminl = mu;
      for (let l = ll; l < m; l++) {
        if (Math.abs(e[l]!) <= tol * mu) {
          e[l] = 0;
          continue outer;
        }
        mu = Math.abs(d[l + 1]!) * (mu / (mu + Math.abs(e[l]!)));
        sminl = Math.min(sminl, mu);
      }
    } else {
      if (Math.abs(e[ll]!) <= tol * Math.abs(d[ll]!)) {
        e[ll] = 0;
        continue;
      }
      let mu = Math.abs(d[m]!);
      sminl = mu;
      for (let l = m - 1; l >= ll; l--) {
        if (Math.abs(e[l]!) <= tol * mu) {
          e[l] = 0;
          continue outer;
        }
        mu = Math.abs(d[l]!) * (mu / (mu + Math.abs(e[l]!)));
        sminl = Math.min(sminl, mu);
      }
    }
    oldll = ll;
    oldm = m;
    // Shift: zero when it could ruin relative accuracy, else the smaller σ of the end 2×2.
    let shift = 0;
    if (!(n * tol * (sminl / smax) <= Math.max(EPS, 0.01 * tol))) {
      let sll: number;
      if (idir === 1) {
        sll = Math.abs(d[ll]!);
        svd2(d[m - 1]!, e[m - 1]!, d[m]!, s2);
      } else {
        sll = Math.abs(d[m]!);
        svd2(d[ll]!, e[ll]!, d[ll + 1]!, s2);
      }
      shift = s2.min;
      if (sll > 0 && (shift / sll) ** 2 < EPS) shift = 0;
    }
    iter += m - ll;
    if (shift === 0) {
      // Demmel–Kahan zero-shift QR sweep: every entry keeps high relative accuracy.
      let cs = 1;
      let oldcs = 1;
      let oldsn = 0;
      if (idir === 1) {
        for (let i = ll; i < m; i++) {
          rot(d[i]! * cs, e[i]!, r);
          cs = r.c;
          const sn = r.s;
          if (i > ll) e[i - 1] = oldsn * r.r;
          rot(oldcs * r.r, d[i + 1]! * sn, r);
          oldcs = r.c;
          oldsn = r.s;
          d[i] = r.r;
        }
        const h = d[m]! * cs;
        d[m] = h * oldcs;
        e[m - 1] = h * oldsn;
        if (Math.abs(e[m - 1]!) <= thresh) e[m - 1] = 0;
      } else {
        for (let i = m; i > ll; i--) {
          rot(d[i]! * cs, e[i - 1]!, r);
          cs = r.c;
          const sn = r.s;
          if (i < m) e[i] = oldsn * r.r;
          rot(oldcs * r.r, d[i - 1]! * sn, r);
          oldcs = r.c;
          oldsn = r.s;
          d[i] = r.r;
        }
        const h = d[ll]! * cs;
        d[ll] = h * oldcs;
        e[ll] = h * oldsn;
        if (Math.abs(e[ll]!) <= thresh) e[ll] = 0;
      }
    } else if (idir === 1) {
      // Shifted implicit QR sweep, top to bottom.
      const dl = d[ll]!;
      let f = (Math.abs(dl) - shift) * ((dl >= 0 ? 1 : -1) + shift / dl);
      let g = e[ll]!;
      for (let i = ll; i < m; i++) {
        rot(f, g, r);
        const cosr = r.c;
        const sinr = r.s;
        if (i > ll) e[i - 1] = r.r;
        f = cosr * d[i]! + sinr * e[i]!;
        e[i] = cosr * e[i]! - sinr * d[i]!;
        g = sinr * d[i + 1]!;
        d[i + 1] = cosr * d[i + 1]!;
        rot(f, g, r);
        const cosl = r.c;
        const sinl = r.s;
        d[i] = r.r;
        f = cosl * e[i]! + sinl * d[i + 1]!;
        d[i + 1] = cosl * d[i + 1]! - sinl * e[i]!;
        if (i < m - 1) {
          g = sinl * e[i + 1]!;
          e[i + 1] = cosl * e[i + 1]!;
        }
      }
      e[m - 1] = f;
      if (Math.abs(e[m - 1]!) <= thresh) e[m - 1] = 0;
    } else {
      // Shifted implicit QR sweep, bottom to top.
      const dm = d[m]!;
      let f = (Math.abs(dm) - shift) * ((dm >= 0 ? 1 : -1) + shift / dm);
      let g = e[m - 1]!;
      for (let i = m; i > ll; i--) {
        rot(f, g, r);
        const cosr = r.c;
        const sinr = r.s;
        if (i < m) e[i] = r.r;
        f = cosr * d[i]! + sinr * e[i - 1]!;
        e[i - 1] = cosr * e[i - 1]! - sinr * d[i]!;
        g = sinr * d[i - 1]!;
        d[i - 1] = cosr * d[i - 1]!;
        rot(f, g, r);
        const cosl = r.c;
        const sinl = r.s;
        d[i] = r.r;
        f = cosl * e[i - 1]! + sinl * d[i - 1]!;
        d[i - 1] = cosl * d[i - 1]! - sinl * e[i - 1]!;
        if (i > ll + 1) {
          g = sinl * e[i - 2]!;
          e[i - 2] = cosl * e[i - 2]!;
        }
      }
      e[ll] = f;
      if (Math.abs(e[ll]!) <= thresh) e[ll] = 0;
    }
  }
  for (let i = 0; i < n; i++) d[i] = Math.abs(d[i]!);
}

/**
 * All min(m, n) singular values of a dense float64 matrix, descending, without vectors
 * (Golub–Kahan bidiagonalization, then {@link bidiagonalSingularValues}). A wide matrix is
 * transposed first; the matrix is scaled by a power of two near its largest |entry| so that no
 * square overflows.
 * The input is not modified.
 *
 * @throws ConvergenceError if the bidiagonal iteration fails (see {@link bidiagonalSingularValues}).
 */
export function golubKahanSingularValues(fn: string, mat: DenseMatrix): Float64Array {
  const tall = mat.rows >= mat.cols;
  const m = tall ? mat.rows : mat.cols;
  const n = tall ? mat.cols : mat.rows;
  const src = mat.data;
  let scale = 0;
  for (let i = 0; i < src.length; i++) {
    const x = Math.abs(src[i]!);
    if (x > scale) scale = x;
  }
  const d = new Float64Array(n);
  if (scale === 0) return d;
  // Scale by a power of two near the largest |entry| (exact, and safe for subnormal entries, whose
  // reciprocal would overflow): the entries become ≤ 2 in magnitude, so no square overflows.
  scale = 2 ** Math.min(Math.floor(Math.log2(scale)), 1023);
  const a = new Float64Array(m * n);
  if (tall) {
    for (let i = 0; i < src.length; i++) a[i] = src[i]! / scale;
  } else {
    // a (m×n) = matᵀ, with mat n×m row-major.
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) a[j * n + i] = src[i * m + j]! / scale;
  }
  const e = new Float64Array(Math.max(n - 1, 0));
  bidiagonalize(a, m, n, d, e);
  bidiagonalSingularValues(fn, d, e);
  for (let i = 0; i < n; i++) {
    // Unreachable for finite input (every step is a rotation or reflection of finite numbers);
    // kept so that a NaN can never leave silently.
    if (Number.isNaN(d[i]!)) {
      throw new ConvergenceError(
        `${fn}: singular values must be finite, got NaN from the bidiagonal QR iteration`,
      );
    }
  }
  d.sort();
  d.reverse();
  for (let i = 0; i < n; i++) d[i]! *= scale;
  return d;
}
