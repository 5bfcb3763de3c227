import type * as tf from '@tensorflow/tfjs';

/**
 * The parts of tfjs-backend-wasm's `BackendWasm` that gflow's wasm kernels use to read and write
 * the heap directly (its data map, its output allocation, and the C++ side's tensor registry).
 */
export interface WasmHeapBackend {
  dataIdMap: {
    get(id: object): { id: number; memoryOffset: number } | undefined;
    delete(id: object): boolean;
  };
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object): boolean;
  wasm: { HEAPU8: Uint8Array; tfjs: { disposeData(id: number): void } };
}

/** A wasm kernel's `backend` argument, seen as {@link WasmHeapBackend}. */
export function asWasmHeap(backend: unknown): WasmHeapBackend {
  return backend as WasmHeapBackend;
}

/** The byte offset of `t`'s data in the wasm heap. */
export function heapOffset(backend: WasmHeapBackend, t: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (data === undefined) throw new Error('gflow wasm kernel: the input is not on the wasm backend');
  return data.memoryOffset;
}

/**
 * The whole heap as float32. Take it after every allocation: a malloc may grow the heap, which
 * replaces its buffer.
 */
export function heapF32(backend: WasmHeapBackend): Float32Array {
  return new Float32Array(backend.wasm.HEAPU8.buffer);
}

/**
 * A float32 tensor of `shape` that *views* the heap at byte offset `at` (no copy, no allocation):
 * registered the way tfjs registers an output that C++ allocated. Release it with
 * {@link releaseView}, never with `disposeData` (which would free memory the view does not own).
 */
export function tensorView(backend: WasmHeapBackend, at: number, shape: number[]): tf.TensorInfo {
  return backend.makeOutput(shape, 'float32', at);
}

/** Unregisters a {@link tensorView} without freeing the memory it looks at. */
export function releaseView(backend: WasmHeapBackend, view: tf.TensorInfo): void {
  const data = backend.dataIdMap.get(view.dataId);
  if (data !== undefined) backend.wasm.tfjs.disposeData(data.id);
  backend.dataIdMap.delete(view.dataId);
}
