import * as tf from '@tensorflow/tfjs';
import { heapOffset, type WasmHeapBackend } from './wasm-heap-view.js';

/** A typed-array view (no copy) of `x`'s data in the wasm heap. */
function typedView(backend: WasmHeapBackend, x: tf.TensorInfo): Float32Array | Int32Array | Uint8Array {
  const at = heapOffset(backend, x);
  const n = tf.util.sizeFromShape(x.shape);
  const buf = backend.wasm.HEAPU8.buffer;
  if (x.dtype === 'float32') return new Float32Array(buf, at, n);
  if (x.dtype === 'int32') return new Int32Array(buf, at, n);
  return new Uint8Array(buf, at, n);
}

/**
 * Copies x[begin : begin + size] into a new wasm output, one contiguous run at a time, reading the
 * input through a view of the heap (tfjs 4.22's wasm `Slice` copies the whole input out first).
 * The trailing axes taken whole are merged into one run. `outShape` (same size) relabels the output.
 */
export function heapSlice(
  backend: WasmHeapBackend,
  x: tf.TensorInfo,
  begin: readonly number[],
  size: readonly number[],
  outShape?: readonly number[],
): tf.TensorInfo {
  const out = backend.makeOutput([...size], x.dtype);
  const shaped =
    outShape !== undefined ? { dataId: out.dataId, dtype: out.dtype, shape: [...outShape] } : out;
  if (tf.util.sizeFromShape([...size]) === 0) return shaped;
  const dst = backend.typedArrayFromHeap(out);
  const src = typedView(backend, x); // after makeOutput: its malloc may have grown (moved) the heap
  const rank = x.shape.length;
  if (rank === 0) {
    dst.set(src.subarray(0, 1));
    return shaped;
  }
  const strides = [...tf.util.computeStrides(x.shape), 1]; // tfjs leaves out the last axis
  let run = 1;
  let k = rank - 1;
  while (k >= 0 && begin[k] === 0 && size[k] === x.shape[k]) {
    run *= size[k]!;
    k--;
  }
  if (k >= 0) run *= size[k]!;
  const outer = size.slice(0, Math.max(k, 0));
  const count = outer.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(outer.length).fill(0);
  let o = 0;
  for (let c = 0; c < count; c++) {
    let s = k >= 0 ? begin[k]! * strides[k]! : 0;
    for (let i = 0; i < outer.length; i++) s += (begin[i]! + idx[i]!) * strides[i]!;
    dst.set(src.subarray(s, s + run), o);
    o += run;
    for (let i = outer.length - 1; i >= 0; i--) {
      idx[i] = idx[i]! + 1;
      if (idx[i]! < outer[i]!) break;
      idx[i] = 0;
    }
  }
  return shaped;
}
