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

/**
 * Forward step t: h_t = tanh(y + u_t) for y [b, n] (h_{t−1}·w), written to row [b, n] (the next
 * step's matmul operand) and to H's rows (i, t) of [b, T, n]; u is [b, T, n].
 */
EXPORT(rnn_forward_step)
void rnn_forward_step(const float *y, const float *u, float *row, float *H, int t, int T, int b, int n) {
  for (int i = 0; i < b; i++) {
    const float *yi = y + i * n;
    const float *ui = u + (i * T + t) * n;
    float *ri = row + i * n;
    float *hi = H + (i * T + t) * n;
    int j = 0;
    for (; j + 8 <= n; j += 8) {
      v128_t ya = wasm_v128_load(yi + j), ua = wasm_v128_load(ui + j);
      v128_t yb = wasm_v128_load(yi + j + 4), ub = wasm_v128_load(ui + j + 4);
      v128_t a = join(tanh2(wasm_f64x2_add(lo2(ya), lo2(ua))), tanh2(wasm_f64x2_add(hi2(ya), hi2(ua))));
      v128_t c = join(tanh2(wasm_f64x2_add(lo2(yb), lo2(ub))), tanh2(wasm_f64x2_add(hi2(yb), hi2(ub))));
      wasm_v128_store(ri + j, a);
      wasm_v128_store(hi + j, a);
      wasm_v128_store(ri + j + 4, c);
      wasm_v128_store(hi + j + 4, c);
    }
    for (; j < n; j++) {
      float v = (float)tanh1((double)yi[j] + (double)ui[j]);
      ri[j] = v;
      hi[j] = v;
    }
  }
}

/**
 * Backward step t: d = dy_t (+ g, the step after's dz·wᵀ, when hasG), written to dht's step t
 * ([T, b, n], step-major; skipped unless hasDht); dz_t = d·(1 − h_t²) to dz's rows (i, t) of
 * [b, T, n] and to row [b, n] (this step's matmul operand). dy and H are [b, T, n], g [b, n].
 */
EXPORT(rnn_backward_step)
void rnn_backward_step(const float *dy, const float *H, const float *g, int hasG, float *dz, float *dht,
                       int hasDht, float *row, int t, int T, int b, int n) {
  const v128_t one = SPLAT(1.0);
  for (int i = 0; i < b; i++) {
    int at = (i * T + t) * n;
    const float *dyi = dy + at;
    const float *Hi = H + at;
    const float *gi = g + i * n;
    float *dzi = dz + at;
    float *ri = row + i * n;
    float *dhi = dht + (t * b + i) * n;
    int j = 0;
    for (; j + 4 <= n; j += 4) {
      v128_t dyv = wasm_v128_load(dyi + j);
      v128_t dl = lo2(dyv), dh = hi2(dyv);
      if (hasG) {
        v128_t gv = wasm_v128_load(gi + j);
        dl = wasm_f64x2_add(dl, lo2(gv));
        dh = wasm_f64x2_add(dh, hi2(gv));
      }
      if (hasDht) wasm_v128_store(dhi + j, join(dl, dh));
      v128_t hv = wasm_v128_load(Hi + j);
      v128_t hl = lo2(hv), hh = hi2(hv);
      v128_t zl = wasm_f64x2_mul(dl, wasm_f64x2_sub(one, wasm_f64x2_mul(hl, hl)));
      v128_t zh = wasm_f64x2_mul(dh, wasm_f64x2_sub(one, wasm_f64x2_mul(hh, hh)));
      v128_t z = join(zl, zh);
      wasm_v128_store(dzi + j, z);
      wasm_v128_store(ri + j, z);
    }
    for (; j < n; j++) {
      double d = hasG ? (double)dyi[j] + (double)gi[j] : (double)dyi[j];
      if (hasDht) dhi[j] = (float)d;
      double hv = Hi[j];
      float z = (float)(d * (1.0 - hv * hv));
      dzi[j] = z;
      ri[j] = z;
    }
  }
}

/**
 * HpT [n, b·T] with column (i, t) = h_{t−1} of example i (h0's row i for t = 0), from H [b, T, n]
 * and h0 [b, n]: `transposedPrev` of TanhRnnSequence.ts, by 4 × 4 tiles.
 */
EXPORT(rnn_transposed_prev)
void rnn_transposed_prev(const float *H, const float *h0, float *HpT, int T, int b, int n) {
  int cols = b * T;
  for (int i = 0; i < b; i++) {
    int c0 = i * T;
    for (int j = 0; j < n; j++) HpT[j * cols + c0] = h0[i * n + j];
    int t = 1;
    for (; t + 4 <= T; t += 4) {
      const float *from = H + (c0 + t - 1) * n;
      float *to = HpT + c0 + t;
      int j = 0;
      for (; j + 4 <= n; j += 4) {
        v128_t r0 = wasm_v128_load(from + j);
        v128_t r1 = wasm_v128_load(from + n + j);
        v128_t r2 = wasm_v128_load(from + 2 * n + j);
        v128_t r3 = wasm_v128_load(from + 3 * n + j);
        v128_t a = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5);
        v128_t c = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
        v128_t d = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
        v128_t e = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
        wasm_v128_store(to + j * cols, wasm_i64x2_shuffle(a, c, 0, 2));
        wasm_v128_store(to + (j + 1) * cols, wasm_i64x2_shuffle(a, c, 1, 3));
        wasm_v128_store(to + (j + 2) * cols, wasm_i64x2_shuffle(d, e, 0, 2));
        wasm_v128_store(to + (j + 3) * cols, wasm_i64x2_shuffle(d, e, 1, 3));
      }
      for (; j < n; j++) {
        to[j * cols] = from[j];
        to[j * cols + 1] = from[n + j];
        to[j * cols + 2] = from[2 * n + j];
        to[j * cols + 3] = from[3 * n + j];
      }
    }
    for (; t < T; t++) {
      const float *from = H + (c0 + t - 1) * n;
      for (int j = 0; j < n; j++) HpT[j * cols + c0 + t] = from[j];
    }
  }
}
