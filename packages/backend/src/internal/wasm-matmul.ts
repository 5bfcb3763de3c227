import type * as tf from '@tensorflow/tfjs';
import { heapOffset, type WasmHeapBackend } from './wasm-heap-view.js';

/** tfjs-backend-wasm's exported C++ `BatchMatMul(a_id, a_shape, a_rank, b_id, b_shape, b_rank, tA, tB, out_id)`. */
type WasmBatchMatMul = (
  aId: number,
  aShape: Uint8Array,
  aRank: number,
  bId: number,
  bShape: Uint8Array,
  bRank: number,
  transposeA: number,
  transposeB: number,
  outId: number,
) => void;

const wrapped = new WeakMap<object, WasmBatchMatMul>();

function wasmBatchMatMul(heap: WasmHeapBackend): WasmBatchMatMul {
  let f = wrapped.get(heap.wasm);
  if (f === undefined) {
    f = heap.wasm.cwrap('BatchMatMul', null, [
      'number',
      'array',
      'number',
      'number',
      'array',
      'number',
      'number',
      'number',
      'number',
    ]) as WasmBatchMatMul;
    wrapped.set(heap.wasm, f);
  }
  return f;
}

function id(heap: WasmHeapBackend, t: tf.TensorInfo): number {
  heapOffset(heap, t); // throws when t is not on the wasm backend
  return (heap.dataIdMap.get(t.dataId) as { id: number }).id;
}

const shapeBytes = (s: number[]): Uint8Array => new Uint8Array(new Int32Array(s).buffer);

/**
 * out = a · b, a [m, k] and b [k, n] as flat heap tensors, written into the preallocated `out`
 * (m·n floats), by tfjs-backend-wasm's C++ `BatchMatMul` (XNNPACK; the operator packed for `b`'s
 * buffer id is cached by tfjs, see `packed-operand.ts`) called directly: what the registered
 * kernel function adds per call (two reshapes, an output tensor, its disposal, the kernel lookup)
 * is paid once, which matters for a sequence kernel that multiplies by the same `b` at every
 * step. The caller keeps `a`, `b` and `out` alive and passes `b` through `freshMatMulB` first.
 */
export function heapMatMul(
  heap: WasmHeapBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  out: tf.TensorInfo,
  m: number,
  k: number,
  n: number,
): () => void {
  const f = wasmBatchMatMul(heap);
  const aId = id(heap, a);
  const bId = id(heap, b);
  const outId = id(heap, out);
  const aShape = shapeBytes([1, m, k]);
  const bShape = shapeBytes([1, k, n]);
  return () => f(aId, aShape, 3, bId, bShape, 3, 0, 0, outId);
}
