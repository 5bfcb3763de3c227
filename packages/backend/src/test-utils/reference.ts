/**
 * Independent float64 plain-JS reference implementations (NHWC), for the derivative tests.
 * Padding follows TensorFlow's convention: 'same' gives out = ceil(in / stride) and puts the odd
 * pad at the bottom/right; 'valid' gives out = ceil((in − effectiveK + 1) / stride).
 */

export type Shape4 = readonly [number, number, number, number];

export interface ConvGeometry {
  readonly stride: number;
  readonly dilation: number;
  readonly pad: 'same' | 'valid';
}

export interface Resolved {
  readonly outH: number;
  readonly outW: number;
  readonly top: number;
  readonly left: number;
}

export function resolve(h: number, w: number, kh: number, kw: number, g: ConvGeometry): Resolved {
  const ekh = (kh - 1) * g.dilation + 1;
  const ekw = (kw - 1) * g.dilation + 1;
  if (g.pad === 'valid') {
    return {
      outH: Math.ceil((h - ekh + 1) / g.stride),
      outW: Math.ceil((w - ekw + 1) / g.stride),
      top: 0,
      left: 0,
    };
  }
  const outH = Math.ceil(h / g.stride);
  const outW = Math.ceil(w / g.stride);
  const padH = Math.max(0, (outH - 1) * g.stride + ekh - h);
  const padW = Math.max(0, (outW - 1) * g.stride + ekw - w);
  return { outH, outW, top: Math.floor(padH / 2), left: Math.floor(padW / 2) };
}

/**
 * Visits every (output, input, filter-tap) triple of a 2-D convolution; `depthwise` makes the
 * filter `[kh, kw, c, m]` act per channel (output channel c·m + j).
 */
function forEachTap(
  xs: Shape4,
  ws: Shape4,
  g: ConvGeometry,
  depthwise: boolean,
  visit: (xi: number, wi: number, yi: number) => void,
): Shape4 {
  const [n, h, w, ci] = xs;
  const [kh, kw, , co] = ws;
  const r = resolve(h, w, kh, kw, g);
  const outC = depthwise ? ci * co : co;
  for (let b = 0; b < n; b++)
    for (let oh = 0; oh < r.outH; oh++)
      for (let ow = 0; ow < r.outW; ow++)
        for (let i = 0; i < kh; i++) {
          const ih = oh * g.stride + i * g.dilation - r.top;
          if (ih < 0 || ih >= h) continue;
          for (let j = 0; j < kw; j++) {
            const iw = ow * g.stride + j * g.dilation - r.left;
            if (iw < 0 || iw >= w) continue;
            const xBase = ((b * h + ih) * w + iw) * ci;
            const yBase = ((b * r.outH + oh) * r.outW + ow) * outC;
            for (let c = 0; c < ci; c++) {
              for (let o = 0; o < co; o++) {
                const wi = ((i * kw + j) * ci + c) * co + o;
                visit(xBase + c, wi, yBase + (depthwise ? c * co + o : o));
              }
            }
          }
        }
  return [n, r.outH, r.outW, outC];
}

export function conv2d(x: ArrayLike<number>, xs: Shape4, f: ArrayLike<number>, ws: Shape4, g: ConvGeometry) {
  const [n, h, w] = xs;
  const r = resolve(h, w, ws[0], ws[1], g);
  const y = new Float64Array(n * r.outH * r.outW * ws[3]);
  const shape = forEachTap(xs, ws, g, false, (xi, wi, yi) => {
    y[yi] = y[yi]! + x[xi]! * f[wi]!;
  });
  return { y, shape };
}

export function depthwiseConv2d(
  x: ArrayLike<number>,
  xs: Shape4,
  f: ArrayLike<number>,
  ws: Shape4,
  g: ConvGeometry,
) {
  const [n, h, w, c] = xs;
  const r = resolve(h, w, ws[0], ws[1], g);
  const y = new Float64Array(n * r.outH * r.outW * c * ws[3]);
  const shape = forEachTap(xs, ws, g, true, (xi, wi, yi) => {
    y[yi] = y[yi]! + x[xi]! * f[wi]!;
  });
  return { y, shape };
}

/** dx = Σ dy · W over the taps (the adjoint of conv2d in x). */
export function conv2dBackpropInput(
  xs: Shape4,
  dy: ArrayLike<number>,
  f: ArrayLike<number>,
  ws: Shape4,
  g: ConvGeometry,
  depthwise = false,
): Float64Array {
  const dx = new Float64Array(xs[0] * xs[1] * xs[2] * xs[3]);
  forEachTap(xs, ws, g, depthwise, (xi, wi, yi) => {
    dx[xi] = dx[xi]! + dy[yi]! * f[wi]!;
  });
  return dx;
}

/** dW = Σ x · dy over the taps (the adjoint of conv2d in W). */
export function conv2dBackpropFilter(
  x: ArrayLike<number>,
  xs: Shape4,
  dy: ArrayLike<number>,
  ws: Shape4,
  g: ConvGeometry,
  depthwise = false,
): Float64Array {
  const dw = new Float64Array(ws[0] * ws[1] * ws[2] * ws[3]);
  forEachTap(xs, ws, g, depthwise, (xi, wi, yi) => {
    dw[wi] = dw[wi]! + x[xi]! * dy[yi]!;
  });
  return dw;
}

/** Batch norm with batch statistics over all but the last axis: (x − μ)/√(σ² + ε)·γ + β. */
export function batchNorm(
  x: ArrayLike<number>,
  c: number,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  eps: number,
): Float64Array {
  const m = x.length / c;
  const mean = new Float64Array(c);
  const vari = new Float64Array(c);
  for (let i = 0; i < x.length; i++) mean[i % c] = mean[i % c]! + x[i]! / m;
  for (let i = 0; i < x.length; i++) vari[i % c] = vari[i % c]! + (x[i]! - mean[i % c]!) ** 2 / m;
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const k = i % c;
    y[i] = ((x[i]! - mean[k]!) / Math.sqrt(vari[k]! + eps)) * gamma[k]! + beta[k]!;
  }
  return y;
}

/** erf by its Maclaurin series (float64-accurate for |x| ≤ 3). */
export function erf(x: number): number {
  let term = x;
  let sum = x;
  for (let k = 1; k < 200; k++) {
    term *= (-x * x) / k;
    const add = term / (2 * k + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/**
 * A·B in float64 for B [k, n] row-major and A(i, r) = a[i·aq + r·ar]: (aq, ar) = (k, 1) for a
 * row-major a [m, k], (1, m) for Aᵀ of a row-major a [k, m].
 */
export function matmul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
  aq: number,
  ar: number,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let r = 0; r < k; r++) {
      const x = a[i * aq + r * ar]!;
      for (let j = 0; j < n; j++) out[i * n + j]! += x * b[r * n + j]!;
    }
  return out;
}

/** A·w for a row-major m×n matrix. */
export function matvec(a: ArrayLike<number>, m: number, n: number, w: ArrayLike<number>): Float64Array {
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += a[i * n + j]! * w[j]!;
    out[i] = s;
  }
  return out;
}
