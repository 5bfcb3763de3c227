import type * as tf from '@tensorflow/tfjs';
import { heapSlice } from './wasm-heap-slice.js';
import { asWasmHeap } from './wasm-heap-view.js';
import type { KernelScratch } from './wasm-scratch.js';

/**
 * The shape (and transposition) each data buffer last had as the `b` operand of tfjs's wasm
 * matmul kernels. tfjs-backend-wasm 4.22 caches the XNNPACK operator it builds for `b` (the
 * packed weights) by the buffer's id alone, in `BatchMatMul` and `_FusedMatMul` alike, and a
 * reshape keeps the id: multiplying by the same data in a new shape (w [5, 7] in `x·w`, later
 * reshape(w, [35, 1])) reuses the operator built for the old shape and reads outside its buffer
 * ("memory access out of bounds", or `Aborted()`).
 */
const bShapes = new WeakMap<object, string>();

/**
 * `b` itself, or a copy of it (a new buffer id) when its buffer was handed to a wasm matmul kernel
 * before in another shape or transposition. The copy belongs to `scratch`.
 */
export function freshMatMulB(
  scratch: KernelScratch,
  backend: unknown,
  b: tf.TensorInfo,
  transposed = false,
): tf.TensorInfo {
  const r = b.shape.length;
  const batch = b.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  const key = `${transposed ? 'T' : 'N'}${batch},${b.shape[r - 2]},${b.shape[r - 1]}`;
  const seen = bShapes.get(b.dataId);
  if (seen === undefined) bShapes.set(b.dataId, key);
  if (seen === undefined || seen === key) return b;
  const copy = scratch.adopt(
    heapSlice(
      asWasmHeap(backend),
      b,
      b.shape.map(() => 0),
      b.shape,
    ),
  );
  bShapes.set(copy.dataId, key);
  return copy;
}

/**
 * Whether `b`'s buffer was handed to a wasm matmul kernel as `b` before: only then can tfjs have
 * an XNNPACK operator (packed weights) cached for it. Records it as seen (untransposed, in its
 * shape) either way, so that a second use packs it and later uses find the packing.
 */
export function seenAsMatMulB(b: tf.TensorInfo): boolean {
  if (bShapes.has(b.dataId)) return true;
  const r = b.shape.length;
  const batch = b.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  bShapes.set(b.dataId, `N${batch},${b.shape[r - 2]},${b.shape[r - 1]}`);
  return false;
}
