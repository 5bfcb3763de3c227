import * as tf from '@tensorflow/tfjs';
import {
  asWasmHeap,
  heapCopy,
  heapF32,
  heapOffset,
  heapSet,
  hostScratch,
  releaseView,
  tensorView,
} from '../internal/wasm-heap-view.js';
import type { KernelScratch } from '../internal/wasm-scratch.js';

/** Geometry of a stride-1, dilation-1 filter gradient. */
export interface TapGeometry {
  readonly kh: number;
  readonly kw: number;
  readonly top: number;
  readonly left: number;
  readonly oh: number;
  readonly ow: number;
}

/**
 * The rows and columns of the compact padded grid of {@link filterGradByTapMatmuls}: per image
 * `hs` rows of `ws` columns, the input's row u at row u + top and column v at column v + left,
 * zeros elsewhere.
 *
 * The grid needs no bottom or right padding of its own: a tap that reads past the last row (or
 * column) of one image wraps into the first rows (columns) of the next, which are its top (left)
 * padding, zeros. It needs ≥ oh rows (the output gradient is laid on the same grid), ≥ top +
 * (input rows that a tap reads) rows (to hold them), and ≥ oh + kh − 1 − top rows (so that a
 * wrap lands inside the next image's top padding); likewise for columns. For a 'same' 3×3
 * convolution that is (h + 1) × (w + 1) per image, where separate paddings were (h + 2) × (w + 2):
 * 6% fewer rows of the matmuls' inner dimension at 32 × 32. With a negative padding (cropping)
 * the separate paddings are kept.
 */
function compactGrid(g: TapGeometry, h: number, w: number): { readonly hs: number; readonly ws: number } {
  const hp = g.oh + g.kh - 1;
  const wp = g.ow + g.kw - 1;
  if (g.top < 0 || g.left < 0) return { hs: hp, ws: wp };
  const hs = Math.max(g.oh, hp - g.top, g.top + Math.min(h, hp - g.top));
  const ws = Math.max(g.ow, wp - g.left, g.left + Math.min(w, wp - g.left));
  return { hs, ws };
}

/**
 * The wasm filter gradient of a stride-1 convolution as one XNNPACK matmul per kernel tap, with
 * no im2col copy.
 *
 * dW[i, j, c, o] = Σ_{b, p, q} xp[b, p + i, q + j, c] · dy[b, p, q, o], xp the zero-padded input.
 * Lay the padded input out as xP[c, b, p, q] on a grid of hs rows and ws columns per image (see
 * {@link compactGrid}) and pad dy with zeros to dyP[b, p, q, o] on the same grid. With r = (b, p,
 * q) flattened over that grid (K = n·hs·ws), tap (i, j) reads xP at r + i·ws + j: for every c that
 * is a *dense* [c, K] matrix starting i·ws + j elements into xP's buffer. So dW[i, j] = A_ij · dyP
 * with A_ij a view (no copy) of xP, and dyP, the same for all taps, is packed by XNNPACK once. A
 * view also reads positions past the real rows and columns (wrapping into the next row, image or
 * channel, and, for the last channel, into a zero tail appended to xP); those positions either
 * meet the zeros of dyP and add nothing or are the next image's zero padding. (If x holds Inf or
 * NaN, a dW entry that would be ±Inf may come out NaN instead.)
 *
 * Measured against the batch-as-channels convolution it replaces (`Conv2DBackpropFilter` of
 * x[4,32,32,64], dy[4,32,32,64], 3×3): see the package README.
 */
export function filterGradByTapMatmuls(
  anyBackend: tf.KernelBackend,
  s: KernelScratch,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  g: TapGeometry,
): tf.TensorInfo {
  const backend = asWasmHeap(anyBackend);
  const [n, h, w, ci] = x.shape as [number, number, number, number];
  const co = dy.shape[3]!;
  const { hs, ws } = compactGrid(g, h, w);
  const k = n * hs * ws;
  // What the last channel's views read past its end: zeros.
  const tail = (g.kh - 1) * ws + g.kw - 1;
  // xP [ci, n, hs, ws] (+ tail) and dyP [n, hs, ws, co], written in one pass each (replacing a
  // Transpose and two PadV2 kernels; see BENCHMARKS.md). The transposition runs on
  // host copies (see heapCopy): its strided reads are the slow kind on the threaded engine's
  // shared heap; dyP is row copies within the heap.
  const xP = s.adopt(backend.makeOutput([ci * k + tail], 'float32'));
  const dyP = s.adopt(backend.makeOutput([n, hs, ws, co], 'float32'));
  const xs = heapCopy(backend, heapOffset(backend, x) / 4, n * h * w * ci, 0);
  const xPs = hostScratch(1, ci * k + tail);
  transposePadded(xs, xPs, [n, h, w, ci], g.top, g.left, hs, ws);
  heapSet(backend, xPs, heapOffset(backend, xP) / 4);
  padRows(
    heapF32(backend),
    heapOffset(backend, dy) / 4,
    heapOffset(backend, dyP) / 4,
    [n, g.oh, g.ow, co],
    hs,
    ws,
  );
  const b = s.reshape(dyP, [1, k, co]);
  const matMul = tf.getKernel('BatchMatMul', 'wasm');
  if (matMul === undefined) throw new Error('gflow Conv2DBackpropFilter: wasm has no BatchMatMul kernel');
  const out = backend.makeOutput([g.kh, g.kw, ci, co], 'float32');
  const base = heapOffset(backend, xP);
  const outAt = heapOffset(backend, out);
  const tapSize = ci * co;
  for (let i = 0; i < g.kh; i++) {
    for (let j = 0; j < g.kw; j++) {
      const view = tensorView(backend, base + 4 * (i * ws + j), [1, ci, k]);
      let prod: tf.TensorInfo;
      try {
        prod = matMul.kernelFunc({
          inputs: { a: view, b },
          backend: anyBackend,
          attrs: { transposeA: false, transposeB: false },
        }) as tf.TensorInfo;
      } finally {
        releaseView(backend, view);
      }
      const now = heapF32(backend); // after every allocation
      const from = heapOffset(backend, prod) / 4;
      now.copyWithin(outAt / 4 + (i * g.kw + j) * tapSize, from, from + tapSize);
      backend.disposeData(prod.dataId);
    }
  }
  return s.finish(out);
}

/**
 * dst[c, b, p + top, q + left] = src[b, p, q, c] for the [n, h, w, ci] tensor `src`, into the
 * [ci, n, hs, ws] array `dst` (and whatever `dst` has beyond), zero everywhere else: the padding,
 * and the tail. Rows and columns of the input that fall outside the grid (never read by a tap) are
 * dropped.
 */
function transposePadded(
  src: Float32Array,
  dst: Float32Array,
  [n, h, w, ci]: readonly [number, number, number, number],
  top: number,
  left: number,
  hs: number,
  ws: number,
): void {
  const k = n * hs * ws;
  dst.fill(0);
  const p0 = Math.max(0, -top);
  const p1 = Math.min(h, hs - top);
  const q0 = Math.max(0, -left);
  const q1 = Math.min(w, ws - left);
  // Row by row of the input: one row ([w, ci], 8 KiB at 32 × 64) stays in the L1 cache while
  // its channels are written out, where channel by channel over the whole input read every cache
  // line of it ci times from farther away.
  for (let b = 0; b < n; b++) {
    for (let p = p0; p < p1; p++) {
      const rowFrom = ((b * h + p) * w + q0) * ci;
      const row = (b * hs + p + top) * ws + left;
      for (let c = 0; c < ci; c++) {
        let from = rowFrom + c;
        const to = c * k + row;
        for (let q = q0; q < q1; q++, from += ci) dst[to + q] = src[from]!;
      }
    }
  }
}

/** dst[b, p, q, :] = src[b, p, q, :] for p < oh, q < ow; zero for the rows and columns up to hs × ws. */
function padRows(
  heap: Float32Array,
  at: number,
  to: number,
  [n, oh, ow, co]: readonly [number, number, number, number],
  hs: number,
  ws: number,
): void {
  heap.fill(0, to, to + n * hs * ws * co);
  const rowLength = ow * co;
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < oh; p++) {
      const from = at + (b * oh + p) * rowLength;
      heap.copyWithin(to + (b * hs + p) * ws * co, from, from + rowLength);
    }
  }
}
