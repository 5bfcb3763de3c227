// gflow's own wasm SIMD loops, run on tfjs-backend-wasm's memory (this module imports it) so that
// kernels read and write the heap tensors in place instead of copying them to JavaScript arrays
// and back. Pointers are byte offsets into tfjs's heap.
//
// The fused tanh RNN's steps (src/kernels/TanhRnnSequence.ts): each computes exactly what the
// JavaScript loop it replaces computes (float32 inputs widened to float64, the same float64
// operations in the same order, one rounding to float32 when stored); the kernels' tests compare
// both paths bit for bit.
//
// Build: `node packages/backend/wasm/build.mjs` (clang and wasm-ld 14), which writes
// src/internal/simd-wasm-binary.ts. The module must not have a data section or use a stack: its
// memory is tfjs's, and either would write over tfjs's heap (the build script checks).
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

// Eigen's [13/6] rational tanh x·P(x²)/Q(x²), the coefficients and the Horner order of
// `rationalTanh` in TanhRnnSequence.ts.
#define P0 -2.76076847742355e-16
#define P1 2.00018790482477e-13
#define P2 -8.60467152213735e-11
#define P3 5.12229709037114e-8
#define P4 1.48572235717979e-5
#define P5 6.37261928875436e-4
#define P6 4.89352455891786e-3
#define Q0 1.19825839466702e-6
#define Q1 1.18534705686654e-4
#define Q2 2.268434632439e-3
#define Q3 4.89352518554385e-3
#define TANH_ONE 9.0

static inline double tanh1(double v) {
  double x = v > TANH_ONE ? TANH_ONE : (v < -TANH_ONE ? -TANH_ONE : v);
  double x2 = x * x;
  double p = P0;
  p = p * x2 + P1;
  p = p * x2 + P2;
  p = p * x2 + P3;
  p = p * x2 + P4;
  p = p * x2 + P5;
  p = p * x2 + P6;
  double q = Q0;
  q = q * x2 + Q1;
  q = q * x2 + Q2;
  q = q * x2 + Q3;
  return (x * p) / q;
}

#define SPLAT(c) wasm_f64x2_splat(c)
#define MADD(a, b, c) wasm_f64x2_add(wasm_f64x2_mul(a, b), SPLAT(c))

static inline v128_t tanh2(v128_t v) {
  v128_t x = wasm_v128_bitselect(SPLAT(TANH_ONE), v, wasm_f64x2_gt(v, SPLAT(TANH_ONE)));
  x = wasm_v128_bitselect(SPLAT(-TANH_ONE), x, wasm_f64x2_lt(v, SPLAT(-TANH_ONE)));
  v128_t x2 = wasm_f64x2_mul(x, x);
  v128_t p = MADD(SPLAT(P0), x2, P1);
  p = MADD(p, x2, P2);
  p = MADD(p, x2, P3);
  p = MADD(p, x2, P4);
  p = MADD(p, x2, P5);
  p = MADD(p, x2, P6);
  v128_t q = MADD(SPLAT(Q0), x2, Q1);
  q = MADD(q, x2, Q2);
  q = MADD(q, x2, Q3);
  return wasm_f64x2_div(wasm_f64x2_mul(x, p), q);
}

static inline v128_t lo2(v128_t f) { return wasm_f64x2_promote_low_f32x4(f); }
static inline v128_t hi2(v128_t f) {
  return wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(f, f, 2, 3, 2, 3));
}
static inline v128_t join(v128_t lo, v128_t hi) {
  return wasm_i32x4_shuffle(wasm_f32x4_demote_f64x2_zero(lo), wasm_f32x4_demote_f64x2_zero(hi), 0, 1, 4,
                            5);
}

/** One row of a forward step: h = tanh(y + u) into r and h (which may be the same row). */
static inline __attribute__((always_inline)) void forward_row(const float *yi, const float *ui, float *ri,
                                                              float *hi, int n) {
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    v128_t ya = wasm_v128_load(yi + j), ua = wasm_v128_load(ui + j);
    v128_t a = join(tanh2(wasm_f64x2_add(lo2(ya), lo2(ua))), tanh2(wasm_f64x2_add(hi2(ya), hi2(ua))));
    wasm_v128_store(ri + j, a);
    wasm_v128_store(hi + j, a);
  }
  for (; j < n; j++) {
    float v = (float)tanh1((double)yi[j] + (double)ui[j]);
    ri[j] = v;
    hi[j] = v;
  }
}

/**
 * Forward step t: h_t = tanh(y + u_t) for y [b, n] (h_{t−1}·w), written to row [b, n] (the next
 * step's matmul operand) and to H's rows (i, t) of [b, T, n]; u is [b, T, n].
 */
EXPORT(rnn_forward_step)
void rnn_forward_step(const float *y, const float *u, float *row, float *H, int t, int T, int b, int n) {
  for (int i = 0; i < b; i++) forward_row(y + i * n, u + (i * T + t) * n, row + i * n, H + (i * T + t) * n, n);
}

/** The running sums of a step's scaled pair (see rnn_backward_step). */
typedef struct {
  double s0, s1;
  v128_t vmax;
} PairSums;

/** Adds the four float32 values d32 (indices ≡ 0, 1, 2, 3 mod 4 of the step) to the pair's sums. */
static inline __attribute__((always_inline)) void pair_add(PairSums *ps, v128_t d32) {
  ps->vmax = wasm_f32x4_pmax(ps->vmax, wasm_f32x4_abs(d32));
  v128_t sl = lo2(d32), sh = hi2(d32);
  sl = wasm_f64x2_mul(sl, sl);
  sh = wasm_f64x2_mul(sh, sh);
  ps->s0 += wasm_f64x2_extract_lane(sl, 0);
  ps->s1 += wasm_f64x2_extract_lane(sl, 1);
  ps->s0 += wasm_f64x2_extract_lane(sh, 0);
  ps->s1 += wasm_f64x2_extract_lane(sh, 1);
}

/** The scaled pair [m, s] from its sums into p[0], p[1]. */
static inline __attribute__((always_inline)) void pair_store(const PairSums *ps, float *p) {
  double sum = ps->s0 + ps->s1;
  v128_t vmax = ps->vmax;
  vmax = wasm_f32x4_pmax(vmax, wasm_i32x4_shuffle(vmax, vmax, 2, 3, 0, 1));
  vmax = wasm_f32x4_pmax(vmax, wasm_i32x4_shuffle(vmax, vmax, 1, 0, 3, 2));
  float m = wasm_f32x4_extract_lane(vmax, 0);
  double ms = m;
  if (sum != sum) {
    p[0] = p[1] = __builtin_nanf("");
  } else if (ms == __builtin_inf()) {
    p[0] = p[1] = __builtin_inff();
  } else {
    double scale = ms > 0x1p-126 ? ms : 0x1p-126;
    p[0] = (float)scale;
    p[1] = (float)(sum / scale / scale);
  }
}

/**
 * One row of a backward step: d = dy (+ g when hasG) to dh (when hasDht), dz = d·(1 − h²) to dz
 * and r (which may be the same row), and, with hasPairs, d's squares and magnitudes to ps.
 */
static inline __attribute__((always_inline)) void backward_row(const float *dyi, const float *Hi, const float *gi,
                                                               int hasG, float *dzi, float *ri, float *dhi,
                                                               int hasDht, int hasPairs, PairSums *ps, int n) {
  const v128_t one = SPLAT(1.0);
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    v128_t dyv = wasm_v128_load(dyi + j);
    v128_t dl = lo2(dyv), dh = hi2(dyv);
    if (hasG) {
      v128_t gv = wasm_v128_load(gi + j);
      dl = wasm_f64x2_add(dl, lo2(gv));
      dh = wasm_f64x2_add(dh, hi2(gv));
    }
    v128_t d32 = join(dl, dh);
    if (hasDht) wasm_v128_store(dhi + j, d32);
    v128_t hv = wasm_v128_load(Hi + j);
    v128_t hl = lo2(hv), hh = hi2(hv);
    v128_t z = join(wasm_f64x2_mul(dl, wasm_f64x2_sub(one, wasm_f64x2_mul(hl, hl))),
                    wasm_f64x2_mul(dh, wasm_f64x2_sub(one, wasm_f64x2_mul(hh, hh))));
    wasm_v128_store(dzi + j, z);
    wasm_v128_store(ri + j, z);
    if (hasPairs) pair_add(ps, d32);
  }
  for (; j < n; j++) {
    double d = hasG ? (double)dyi[j] + (double)gi[j] : (double)dyi[j];
    float df = (float)d;
    if (hasDht) dhi[j] = df;
    double h1 = Hi[j];
    float zq = (float)(d * (1.0 - h1 * h1));
    dzi[j] = zq;
    ri[j] = zq;
  }
}

/**
 * Backward step t: d = dy_t (+ g, the step after's dz·wᵀ, when hasG), written to dht's step t
 * ([T, b, n], step-major; skipped unless hasDht); dz_t = d·(1 − h_t²) to dz's rows (i, t) of
 * [b, T, n] and to row [b, n] (this step's matmul operand). dy and H are [b, T, n], g [b, n].
 * With hasPairs, pairs[2t], pairs[2t + 1] = the scaled pair [m, s] of float32(d) over the step
 * (`hostScaledPair` of @gflow/core/internal: m = max(max|x|, 2⁻¹²⁶), s = Σx² / m / m with the sum
 * in float64 as two partial sums in index order, of the even-indexed and of the odd-indexed
 * elements of the step, added at the end; NaN, NaN with a NaN; ∞, ∞ with an infinity). hasPairs
 * needs n to be a multiple of 4 (the caller computes the pairs itself otherwise).
 */
EXPORT(rnn_backward_step)
void rnn_backward_step(const float *dy, const float *H, const float *g, int hasG, float *dz, float *dht,
                       int hasDht, float *row, float *pairs, int hasPairs, int t, int T, int b, int n) {
  /* n is a multiple of 4 with hasPairs, so every element is in the 4-wide loop and lanes 0, 2
     are the even indices. */
  PairSums ps = {0, 0, wasm_f32x4_splat(0)};
  for (int i = 0; i < b; i++) {
    int at = (i * T + t) * n;
    backward_row(dy + at, H + at, g + i * n, hasG, dz + at, row + i * n, dht + (t * b + i) * n, hasDht,
                 hasPairs, &ps, n);
  }
  if (hasPairs) pair_store(&ps, pairs + 2 * t);
}

/**
 * c[j][k] += Σ_r A(j, r)·b[r][k] for j in [j0, j1), k in [k0, n), one float32 sum at a time, where
 * A(j, r) = a[j·aq + r·ar] (aq = 1, ar = lda for aᵀ of a row-major a; aq = K, ar = 1 for a itself).
 */
__attribute__((noinline)) static void mm_scalar(const float *a, const float *b, float *c, int rows, int aq,
                                                int ar, int n, int j0, int j1, int k0) {
  for (int j = j0; j < j1; j++) {
    for (int k = k0; k < n; k++) {
      float s = c[j * n + k];
      for (int r = 0; r < rows; r++) s += a[r * ar + j * aq] * b[r * n + k];
      c[j * n + k] = s;
    }
  }
}

/**
 * c [m, n] += A · b for `rows` rows r of b [rows, n] (row-major) and A(j, r) = a[j·aq + r·ar] (see
 * mm_scalar), each element accumulated row after row in float32 (as XNNPACK's kernels do), by
 * 4 × 8 register tiles.
 */
__attribute__((noinline)) static void mm_rows(const float *a, const float *b, float *c, int rows, int m, int n,
                                              int aq, int ar) {
  int j = 0;
  for (; j + 4 <= m; j += 4) {
    int k = 0;
    for (; k + 8 <= n; k += 8) {
      float *d = c + j * n + k;
      v128_t c00 = wasm_v128_load(d), c01 = wasm_v128_load(d + 4);
      v128_t c10 = wasm_v128_load(d + n), c11 = wasm_v128_load(d + n + 4);
      v128_t c20 = wasm_v128_load(d + 2 * n), c21 = wasm_v128_load(d + 2 * n + 4);
      v128_t c30 = wasm_v128_load(d + 3 * n), c31 = wasm_v128_load(d + 3 * n + 4);
      const float *ap = a + j * aq;
      const float *br = b + k;
      for (int r = 0; r < rows; r++, ap += ar, br += n) {
        v128_t b0 = wasm_v128_load(br), b1 = wasm_v128_load(br + 4);
        v128_t a0 = wasm_v128_load32_splat(ap);
        c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(a0, b0));
        c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(a0, b1));
        v128_t a1 = wasm_v128_load32_splat(ap + aq);
        c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(a1, b0));
        c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(a1, b1));
        v128_t a2 = wasm_v128_load32_splat(ap + 2 * aq);
        c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(a2, b0));
        c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(a2, b1));
        v128_t a3 = wasm_v128_load32_splat(ap + 3 * aq);
        c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(a3, b0));
        c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(a3, b1));
      }
      wasm_v128_store(d, c00);
      wasm_v128_store(d + 4, c01);
      wasm_v128_store(d + n, c10);
      wasm_v128_store(d + n + 4, c11);
      wasm_v128_store(d + 2 * n, c20);
      wasm_v128_store(d + 2 * n + 4, c21);
      wasm_v128_store(d + 3 * n, c30);
      wasm_v128_store(d + 3 * n + 4, c31);
    }
    mm_scalar(a, b, c, rows, aq, ar, n, j, j + 4, k);
  }
  mm_scalar(a, b, c, rows, aq, ar, n, j, m, 0);
}

/** mm_rows over K rows of b by blocks of 64 rows (that stay in cache). */
__attribute__((noinline)) static void mm_blocked(const float *a, const float *b, float *c, int K, int m, int n,
                                                 int aq, int ar) {
  for (int r = 0; r < K; r += 64) mm_rows(a + r * ar, b + r * n, c, K - r < 64 ? K - r : 64, m, n, aq, ar);
}

/**
 * Rows [j0, j1) of c [m, n] += A · b for b [K, n] and A(j, r) = a[j·aq + r·ar]: aᵀ·b for a [K, m]
 * with (aq, ar) = (1, m), a·b for a [m, K] with (K, 1). The caller zeroes c for c = A · b. Each
 * element's sum is the same whatever the row range, so two threads may share the rows.
 */
EXPORT(matmul)
void matmul(const float *a, const float *b, float *c, int K, int n, int aq, int ar, int j0, int j1) {
  mm_blocked(a + j0 * aq, b, c + j0 * n, K, j1 - j0, n, aq, ar);
}

/**
 * Rows [j0, j1) of dW [n, n] += Σ over the rows (i, t) of [b, T, n], in that order, of h_{t−1}ᵀ dz_t
 * (h0's row i for t = 0, H's row (i, t − 1) otherwise): the recurrent weight's gradient,
 * accumulated in float32 one row after another onto dW's rows as they are (the caller zeroes them:
 * a zeroing loop here took the module over 4 KB). Each element's sum is the same whatever the row
 * range, so two threads that take [0, j) and [j, n) write the same bits as one that takes both.
 */
EXPORT(rnn_weight_grad)
void rnn_weight_grad(const float *H, const float *h0, const float *dz, float *dW, int T, int b, int n, int j0,
                     int j1) {
  int m = j1 - j0;
  float *c = dW + j0 * n;
  for (int i = 0; i < b; i++) {
    mm_rows(h0 + i * n + j0, dz + i * T * n, c, 1, m, n, 1, n);
    mm_blocked(H + i * T * n + j0, dz + (i * T + 1) * n, c, T - 1, m, n, 1, n);
  }
}

/** out [cols, rows] = in [rows, cols]ᵀ, by 4 × 4 tiles (the edges one float at a time). */
EXPORT(transpose2d)
void transpose2d(const float *in, float *out, int rows, int cols) {
  int r4 = rows & ~3, c4 = cols & ~3;
  for (int r = 0; r < r4; r += 4) {
    const float *from = in + r * cols;
    float *to = out + r;
    for (int c = 0; c < c4; c += 4) {
      v128_t r0 = wasm_v128_load(from + c);
      v128_t r1 = wasm_v128_load(from + cols + c);
      v128_t r2 = wasm_v128_load(from + 2 * cols + c);
      v128_t r3 = wasm_v128_load(from + 3 * cols + c);
      v128_t a = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5);
      v128_t e = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
      v128_t d = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
      v128_t f = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
      wasm_v128_store(to + c * rows, wasm_i64x2_shuffle(a, e, 0, 2));
      wasm_v128_store(to + (c + 1) * rows, wasm_i64x2_shuffle(a, e, 1, 3));
      wasm_v128_store(to + (c + 2) * rows, wasm_i64x2_shuffle(d, f, 0, 2));
      wasm_v128_store(to + (c + 3) * rows, wasm_i64x2_shuffle(d, f, 1, 3));
    }
  }
  for (int r = 0; r < rows; r++) {
    for (int c = r < r4 ? c4 : 0; c < cols; c++) out[c * rows + r] = in[r * cols + c];
  }
}

#ifdef GFLOW_FULL
// Winograd F(2×2, 3×3) convolution (Lavin and Gray, "Fast Algorithms for Convolutional Neural
// Networks", CVPR 2016), NHWC, stride 1, for the "full" module only (over 4 KB, which a browser's
// main thread may refuse to compile synchronously: initBackend then loads it asynchronously). Each output
// 2×2 tile is Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A summed over input channels, where d is the 4×4 input
// patch: 16 multiplications per tile and channel pair instead of 36. Every sum runs in a fixed order
// whatever the tile range, so two threads that share the tiles write the bits one thread writes.

#define F4 v128_t
#define LD(p) wasm_v128_load(p)
#define ST(p, v) wasm_v128_store(p, v)
#define ADD wasm_f32x4_add
#define SUB wasm_f32x4_sub
#define MUL wasm_f32x4_mul

/**
 * U [16][C][K] = G g Gᵀ for g = w [3][3][C][K] (HWIO), G = [[1, 0, 0], [½, ½, ½], [½, −½, ½],
 * [0, 0, 1]]; K a multiple of 4.
 */
EXPORT(winograd_filter)
void winograd_filter(const float *w, float *u, int C, int K) {
  const F4 half = wasm_f32x4_splat(0.5f);
  int CK = C * K;
  for (int e = 0; e < CK; e += 4) {
    const float *g = w + e;
    F4 t[4][3];
    for (int j = 0; j < 3; j++) {
      F4 g0 = LD(g + j * CK), g1 = LD(g + (3 + j) * CK), g2 = LD(g + (6 + j) * CK);
      F4 s = MUL(half, ADD(g0, g2));
      F4 h1 = MUL(half, g1);
      t[0][j] = g0;
      t[1][j] = ADD(s, h1);
      t[2][j] = SUB(s, h1);
      t[3][j] = g2;
    }
    for (int i = 0; i < 4; i++) {
      F4 s = MUL(half, ADD(t[i][0], t[i][2]));
      F4 h1 = MUL(half, t[i][1]);
      float *o = u + (i * 4) * CK + e;
      ST(o, t[i][0]);
      ST(o + CK, ADD(s, h1));
      ST(o + 2 * CK, SUB(s, h1));
      ST(o + 3 * CK, t[i][2]);
    }
  }
}

/** p[0..15]: the convolution's geometry and pointers, written by the caller (see winograd_conv). */
enum { P_X, P_U, P_Y, P_SCRATCH, P_FLAG, P_N, P_H, P_W, P_C, P_K, P_HO, P_WO, P_PT, P_PL, P_CHUNK };

/** Tiles per block: a block's transformed inputs and products ([16][B][C], [16][B][K]) stay in cache. */
#define WB 16

/**
 * The transform Bᵀ d B of one tile's 4×4 input patch (top-left at row r0, column c0 of image n of x
 * [N, H, W, C], reading 0 outside), Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]]:
 * V[ξ] at o + ξ·stride, channels [0, C) by 4.
 */
static inline void patch_transform(const float *x, float *o, int stride, int n, int r0, int c0, int H, int W,
                                   int C) {
  const F4 zero = wasm_f32x4_splat(0);
  const float *base = x + ((n * H + r0) * W + c0) * C;
  int okr[4], okc[4];
  for (int i = 0; i < 4; i++) {
    okr[i] = (unsigned)(r0 + i) < (unsigned)H;
    okc[i] = (unsigned)(c0 + i) < (unsigned)W;
  }
  for (int c = 0; c < C; c += 4) {
    F4 d[4][4];
    for (int i = 0; i < 4; i++)
      for (int j = 0; j < 4; j++) d[i][j] = okr[i] && okc[j] ? LD(base + (i * W + j) * C + c) : zero;
    F4 q[4][4];
    for (int j = 0; j < 4; j++) {
      q[0][j] = SUB(d[0][j], d[2][j]);
      q[1][j] = ADD(d[1][j], d[2][j]);
      q[2][j] = SUB(d[2][j], d[1][j]);
      q[3][j] = SUB(d[1][j], d[3][j]);
    }
    float *to = o + c;
    for (int i = 0; i < 4; i++) {
      ST(to + (4 * i) * stride, SUB(q[i][0], q[i][2]));
      ST(to + (4 * i + 1) * stride, ADD(q[i][1], q[i][2]));
      ST(to + (4 * i + 2) * stride, SUB(q[i][2], q[i][1]));
      ST(to + (4 * i + 3) * stride, SUB(q[i][1], q[i][3]));
    }
  }
}

/**
 * Tiles [j0, j1) of y [N, Ho, Wo, K] = x [N, H, W, C] ⋆ w (3×3, stride 1, top and left padding
 * pt, pl; input outside x reads 0) from U = winograd_filter(w); tile t is (n, ty, tx), row-major
 * over [N, ⌈Ho/2⌉, ⌈Wo/2⌉]. C and K multiples of 4. scratch holds a block of 16·WB·(C + K) floats
 * per chunk of p[P_CHUNK] tiles (the chunk j0 falls in: a thread works in its own chunk's block).
 * Sets *flag to 1 if any output is not finite (Winograd's transforms turn an infinity into NaN
 * where a direct sum would not: the caller redoes such a convolution directly).
 */
EXPORT(winograd_conv)
void winograd_conv(const int *p, int j0, int j1) {
  const float *x = (const float *)p[P_X];
  const float *u = (const float *)p[P_U];
  float *y = (float *)p[P_Y];
  int H = p[P_H], W = p[P_W], C = p[P_C], K = p[P_K], Ho = p[P_HO], Wo = p[P_WO];
  int pt = p[P_PT], pl = p[P_PL];
  int th = (Ho + 1) / 2, tw = (Wo + 1) / 2;
  float *v = (float *)p[P_SCRATCH] + (j0 / p[P_CHUNK]) * 16 * WB * (C + K);
  float *m = v + 16 * WB * C;
  const F4 zero = wasm_f32x4_splat(0), inf = wasm_f32x4_splat(__builtin_inff());
  F4 bad = zero;
  for (int b0 = j0; b0 < j1; b0 += WB) {
    int nb = j1 - b0 < WB ? j1 - b0 : WB;
    // Input transform: V[ξ][tb][c] = (Bᵀ d B)[ξ].
    for (int tb = 0; tb < nb; tb++) {
      int t = b0 + tb;
      int n = t / (th * tw), r = t % (th * tw);
      patch_transform(x, v + tb * C, WB * C, n, 2 * (r / tw) - pt, 2 * (r % tw) - pl, H, W, C);
    }
    // M[ξ] = V[ξ] · U[ξ]: [nb, C] · [C, K].
    for (int e = 0; e < 16 * WB * K; e += 4) ST(m + e, zero);
    for (int xi = 0; xi < 16; xi++)
      mm_blocked(v + xi * WB * C, u + xi * C * K, m + xi * WB * K, C, nb, K, C, 1);
    // Output transform: Y = Aᵀ M A, Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]], clipped to [Ho, Wo].
    for (int tb = 0; tb < nb; tb++) {
      int t = b0 + tb;
      int n = t / (th * tw), r = t % (th * tw);
      int r0 = 2 * (r / tw), c0 = 2 * (r % tw);
      float *out = y + ((n * Ho + r0) * Wo + c0) * K;
      int down = r0 + 1 < Ho, right = c0 + 1 < Wo;
      for (int k = 0; k < K; k += 4) {
        const float *mk = m + tb * K + k;
        F4 s[2][4];
        for (int j = 0; j < 4; j++) {
          F4 m0 = LD(mk + j * WB * K), m1 = LD(mk + (4 + j) * WB * K);
          F4 m2 = LD(mk + (8 + j) * WB * K), m3 = LD(mk + (12 + j) * WB * K);
          s[0][j] = ADD(ADD(m0, m1), m2);
          s[1][j] = SUB(SUB(m1, m2), m3);
        }
        for (int i = 0; i < 2; i++) {
          F4 a = ADD(ADD(s[i][0], s[i][1]), s[i][2]);
          F4 b = SUB(SUB(s[i][1], s[i][2]), s[i][3]);
          if (i == 1 && !down) break;
          bad = wasm_v128_or(bad, wasm_v128_not(wasm_f32x4_lt(wasm_f32x4_abs(a), inf)));
          ST(out + i * Wo * K + k, a);
          if (right) {
            bad = wasm_v128_or(bad, wasm_v128_not(wasm_f32x4_lt(wasm_f32x4_abs(b), inf)));
            ST(out + (i * Wo + 1) * K + k, b);
          }
        }
      }
    }
  }
  if (wasm_v128_any_true(bad)) *(int *)p[P_FLAG] = 1;
}
/** Tiles per block in winograd_filter_grad. */
#define WB2 32

/**
 * The filter gradient dW [3, 3, C, K] of y = x ⋆ w (as in winograd_conv; p[P_U] holds dy
 * [N, Ho, Wo, K] instead of U), first part: with y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A per tile,
 * ∂L/∂g = Gᵀ[Σ_tiles (Bᵀ d B) ⊙ (A dY Aᵀ)]G, dY the tile's 2×2 output gradient (0 past [Ho, Wo]).
 * For tiles [j0, j1), a chunk of p[P_CHUNK] tiles, this writes the chunk's partial sums
 * S[ξ] [C, K] = Σ_tiles V[ξ]ᵀ·Z[ξ] (16 matmuls, float32, tile after tile) into the chunk's block of
 * scratch, 16·(WB2·(C + K) + C·K) floats per chunk; winograd_filter_grad_finish adds the chunks'
 * sums in chunk order and transforms them. The bits depend on the chunks only, not on which
 * thread ran them.
 */
EXPORT(winograd_filter_grad)
void winograd_filter_grad(const int *p, int j0, int j1) {
  const float *x = (const float *)p[P_X];
  const float *dy = (const float *)p[P_U];
  int H = p[P_H], W = p[P_W], C = p[P_C], K = p[P_K], Ho = p[P_HO], Wo = p[P_WO];
  int pt = p[P_PT], pl = p[P_PL];
  int th = (Ho + 1) / 2, tw = (Wo + 1) / 2;
  float *v = (float *)p[P_SCRATCH] + (j0 / p[P_CHUNK]) * 16 * (WB2 * (C + K) + C * K);
  float *z = v + 16 * WB2 * C;
  float *du = z + 16 * WB2 * K;
  const F4 zero = wasm_f32x4_splat(0);
  for (int e = 0; e < 16 * C * K; e += 4) ST(du + e, zero);
  for (int b0 = j0; b0 < j1; b0 += WB2) {
    int nb = j1 - b0 < WB2 ? j1 - b0 : WB2;
    for (int tb = 0; tb < nb; tb++) {
      int t = b0 + tb;
      int n = t / (th * tw), r = t % (th * tw);
      int y0 = 2 * (r / tw), x0 = 2 * (r % tw);
      patch_transform(x, v + tb * C, WB2 * C, n, y0 - pt, x0 - pl, H, W, C);
      // The output gradient's transform Z = A dY Aᵀ, A = [[1, 0], [1, 1], [1, −1], [0, −1]].
      const float *g = dy + ((n * Ho + y0) * Wo + x0) * K;
      int down = y0 + 1 < Ho, right = x0 + 1 < Wo;
      for (int k = 0; k < K; k += 4) {
        F4 g00 = LD(g + k), g01 = right ? LD(g + K + k) : zero;
        F4 g10 = down ? LD(g + Wo * K + k) : zero, g11 = down && right ? LD(g + (Wo + 1) * K + k) : zero;
        F4 q[4][2] = {{g00, g01}, {ADD(g00, g10), ADD(g01, g11)}, {SUB(g00, g10), SUB(g01, g11)},
                      {wasm_f32x4_neg(g10), wasm_f32x4_neg(g11)}};
        float *o = z + tb * K + k;
        for (int i = 0; i < 4; i++) {
          ST(o + (4 * i) * WB2 * K, q[i][0]);
          ST(o + (4 * i + 1) * WB2 * K, ADD(q[i][0], q[i][1]));
          ST(o + (4 * i + 2) * WB2 * K, SUB(q[i][0], q[i][1]));
          ST(o + (4 * i + 3) * WB2 * K, wasm_f32x4_neg(q[i][1]));
        }
      }
    }
    // S[ξ] [C, K] += V[ξ]ᵀ · Z[ξ] over this block's tiles.
    for (int xi = 0; xi < 16; xi++)
      mm_blocked(v + xi * WB2 * C, z + xi * WB2 * K, du + xi * C * K, nb, C, K, 1, C);
  }
}

/**
 * Rows [j0, j1) (input channels c) of dW [3, 3, C, K] = Gᵀ(Σ_chunks S)G, the chunks' partial sums
 * of winograd_filter_grad added in chunk order, Gᵀ = [[1, ½, ½, 0], [0, ½, −½, 0], [0, ½, ½, 1]].
 * Sets *flag to 1 if any element is not finite.
 */
EXPORT(winograd_filter_grad_finish)
void winograd_filter_grad_finish(const int *p, int j0, int j1) {
  float *dw = (float *)p[P_Y];
  int N = p[P_N], C = p[P_C], K = p[P_K], Ho = p[P_HO], Wo = p[P_WO], chunk = p[P_CHUNK];
  int T = N * ((Ho + 1) / 2) * ((Wo + 1) / 2), R = (T + chunk - 1) / chunk;
  int stride = 16 * (WB2 * (C + K) + C * K);
  float *du = (float *)p[P_SCRATCH] + 16 * WB2 * (C + K);
  const F4 zero = wasm_f32x4_splat(0), inf = wasm_f32x4_splat(__builtin_inff()), half = wasm_f32x4_splat(0.5f);
  float *d0 = du;
  // S = ((S_0 + S_1) + S_2) + …, into chunk 0's block, rows [j0, j1) of each ξ.
  for (int r = 1; r < R; r++)
    for (int xi = 0; xi < 16; xi++)
      for (int e = (xi * C + j0) * K; e < (xi * C + j1) * K; e += 4)
        ST(d0 + e, ADD(LD(d0 + e), LD(d0 + r * stride + e)));
  F4 bad = zero;
  for (int c = j0; c < j1; c++) {
    for (int k = 0; k < K; k += 4) {
      const float *mk = d0 + c * K + k;
      F4 s[3][4];
      for (int j = 0; j < 4; j++) {
        F4 m0 = LD(mk + j * C * K), m1 = LD(mk + (4 + j) * C * K);
        F4 m2 = LD(mk + (8 + j) * C * K), m3 = LD(mk + (12 + j) * C * K);
        F4 h = MUL(half, ADD(m1, m2));
        s[0][j] = ADD(m0, h);
        s[1][j] = MUL(half, SUB(m1, m2));
        s[2][j] = ADD(h, m3);
      }
      for (int a = 0; a < 3; a++) {
        F4 h = MUL(half, ADD(s[a][1], s[a][2]));
        F4 o[3] = {ADD(s[a][0], h), MUL(half, SUB(s[a][1], s[a][2])), ADD(h, s[a][3])};
        for (int b = 0; b < 3; b++) {
          bad = wasm_v128_or(bad, wasm_v128_not(wasm_f32x4_lt(wasm_f32x4_abs(o[b]), inf)));
          ST(dw + ((a * 3 + b) * C + c) * K + k, o[b]);
        }
      }
    }
  }
  if (wasm_v128_any_true(bad)) *(int *)p[P_FLAG] = 1;
}

/**
 * Rows [i0, i1) of a whole tanh RNN sequence, every step: h_t = tanh(u_t + h_{t−1}·w) into H's
 * rows (i, t) of [b, T, n], for u [b, T, n], w [n, n] and h0 [b, n], with the product
 * h_{t−1}·w in y's rows [i0, i1) of [b, n] (scratch). The rows' recurrences are independent, so
 * two threads that take different rows run without meeting at every step, and each value is what
 * rnn_forward_step after XNNPACK's product computes (its sums accumulate row after row in float32
 * from zero, as mm_rows does).
 */
EXPORT(rnn_forward_rows)
void rnn_forward_rows(const float *u, const float *w, const float *h0, float *H, float *y, int T, int n, int i0,
                      int i1) {
  int m = i1 - i0;
  float *yc = y + i0 * n;
  for (int t = 0; t < T; t++) {
    for (int k = 0; k < m * n; k++) yc[k] = 0;
    if (t == 0)
      mm_blocked(h0 + i0 * n, w, yc, n, m, n, n, 1);
    else
      mm_blocked(H + (i0 * T + t - 1) * n, w, yc, n, m, n, T * n, 1);
    for (int i = i0; i < i1; i++) {
      float *hi = H + (i * T + t) * n;
      forward_row(y + i * n, u + (i * T + t) * n, hi, hi, n);
    }
  }
}

/**
 * Rows [i0, i1) of backpropagation through a whole tanh RNN sequence, from the last step: d =
 * dy_t (+ g = dz_{t+1}·wᵀ) into dht's step t ([T, b, n], when hasDht), dz_t = d·(1 − h_t²) into
 * dz's rows (i, t) of [b, T, n], then g's rows [i0, i1) of [b, n] = dz_t·wᵀ (wT is wᵀ, [n, n]),
 * which after step 0 is ∂L/∂h0. What rnn_backward_step with XNNPACK's product computes, value for
 * value; the steps' pairs are rnn_step_pairs' (from dht) once every row is done.
 */
EXPORT(rnn_backward_rows)
void rnn_backward_rows(const float *dy, const float *H, const float *wT, float *dz, float *dht, int hasDht,
                       float *g, int T, int b, int n, int i0, int i1) {
  int m = i1 - i0;
  float *gc = g + i0 * n;
  PairSums none = {0, 0, wasm_f32x4_splat(0)};
  for (int t = T - 1; t >= 0; t--) {
    for (int i = i0; i < i1; i++) {
      int at = (i * T + t) * n;
      backward_row(dy + at, H + at, g + i * n, t < T - 1, dz + at, dz + at, dht + (t * b + i) * n, hasDht, 0,
                   &none, n);
    }
    for (int k = 0; k < m * n; k++) gc[k] = 0;
    mm_blocked(dz + (i0 * T + t) * n, wT, gc, n, m, n, T * n, 1);
  }
}

/**
 * Steps [t0, t1) of pairs [T, 2]: each step's scaled pair of dht's step t ([T, count], count a
 * multiple of 4), as rnn_backward_step's hasPairs computes it, in the same order.
 */
EXPORT(rnn_step_pairs)
void rnn_step_pairs(const float *dht, float *pairs, int count, int t0, int t1) {
  for (int t = t0; t < t1; t++) {
    PairSums ps = {0, 0, wasm_f32x4_splat(0)};
    const float *d = dht + t * count;
    for (int j = 0; j < count; j += 4) pair_add(&ps, wasm_v128_load(d + j));
    pair_store(&ps, pairs + 2 * t);
  }
}
#endif
