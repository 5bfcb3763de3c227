import * as tf from '@tensorflow/tfjs';
import { asWasmHeap, heapF32, heapOffset, releaseView, tensorView } from '../internal/wasm-heap-view.js';
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
 * The wasm filter gradient of a stride-1 convolution as one XNNPACK matmul per kernel tap, with
 * no im2col copy.
 *
 * dW[i, j, c, o] = Σ_{b, p, q} xp[b, p + i, q + j, c] · dy[b, p, q, o], xp the zero-padded input.
 * Lay the padded input out as xP[c, b, p, q] (Hp = oh + kh − 1 rows, Wp = ow + kw − 1 columns)
 * and pad dy with zeros to dyP[b, p, q, o] of the same Hp × Wp. With r = (b, p, q) flattened over
 * the padded grid (K = n·Hp·Wp), tap (i, j) reads xP at r + i·Wp + j: for every c that is a
 * *dense* [c, K] matrix starting i·Wp + j elements into xP's buffer. So
 * dW[i, j] = A_ij · dyP with A_ij a view (no copy) of xP, and dyP, the same for all taps, is
 * packed by XNNPACK once. A view also reads positions past the real rows and columns (wrapping
 * into the next row, image or channel, and, for the last channel, into one extra zero channel
 * appended to xP); those positions meet the zeros of dyP and add nothing. (If x holds Inf or NaN,
 * a dW entry that would be ±Inf may come out NaN instead.)
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
  const hp = g.oh + g.kh - 1;
  const wp = g.ow + g.kw - 1;
  const bottom = hp - h - g.top;
  const right = wp - w - g.left;
  const xT = s.run('Transpose', { x }, { perm: [3, 0, 1, 2] });
  // One extra zero channel: the slack that the last channel's shifted views read.
  const xP = s.padOrCrop(xT, [
    [0, 1],
    [0, 0],
    [g.top, bottom],
    [g.left, right],
  ]);
  const dyP = s.padOrCrop(dy, [
    [0, 0],
    [0, g.kh - 1],
    [0, g.kw - 1],
    [0, 0],
  ]);
  const k = n * hp * wp;
  const b = s.reshape(dyP, [1, k, co]);
  const matMul = tf.getKernel('BatchMatMul', 'wasm');
  if (matMul === undefined) throw new Error('gflow Conv2DBackpropFilter: wasm has no BatchMatMul kernel');
  const out = backend.makeOutput([g.kh, g.kw, ci, co], 'float32');
  const base = heapOffset(backend, xP);
  const outAt = heapOffset(backend, out);
  const tapSize = ci * co;
  for (let i = 0; i < g.kh; i++) {
    for (let j = 0; j < g.kw; j++) {
      const view = tensorView(backend, base + 4 * (i * wp + j), [1, ci, k]);
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
      const heap = heapF32(backend); // after every allocation
      const from = heapOffset(backend, prod) / 4;
      heap.copyWithin(outAt / 4 + (i * g.kw + j) * tapSize, from, from + tapSize);
      backend.disposeData(prod.dataId);
    }
  }
  return s.finish(out);
}
