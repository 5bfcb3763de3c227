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
  /** One more reference to the data (tfjs-wasm frees it when the count returns to 0). */
  incRef(dataId: object): void;
  wasm: {
    HEAPU8: Uint8Array;
    tfjs: {
      disposeData(id: number): void;
      /** XNNPACK's thread count (absent from older builds). */
      getThreadsCount?(): number;
    };
    /** Emscripten's `cwrap`, as tfjs's kernels use it to call the C++ side. */
    cwrap(name: string, ret: null, args: string[]): (...a: unknown[]) => void;
  };
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

/** Host scratch arrays, one per slot, grown as needed and reused (see {@link heapCopy}). */
const scratch: Float32Array[] = [];
/** Above this many floats a scratch array is not kept between calls (64 MiB). */
const KEEP_LIMIT = 1 << 24;

/**
 * An ordinary (unshared) float32 array of length `n` for a kernel's JavaScript loops, from a
 * per-`slot` pool that is reused across calls: allocating a fresh array of a few hundred KiB
 * (zeroed memory) costs more than the loop it serves (BENCHMARKS.md). The contents are left from earlier calls; a
 * kernel uses at most a few slots and must not hold the array past its return.
 */
export function hostScratch(slot: number, n: number): Float32Array {
  if (n > KEEP_LIMIT) return new Float32Array(n);
  let a = scratch[slot];
  if (a === undefined || a.length < n) {
    a = new Float32Array(Math.max(n, 2 * (a?.length ?? 0)));
    scratch[slot] = a;
  }
  return a.subarray(0, n);
}

/**
 * `n` float32 values of the heap from float index `at`, copied into {@link hostScratch}(`slot`).
 * With the threaded engine the heap is a SharedArrayBuffer, which V8 reads and writes element by
 * element 3–5 times slower than an ordinary buffer (racy memory is not optimized the same way),
 * and whose `slice` is as slow: a kernel's loop runs faster on such a copy, written back with
 * {@link heapSet} (each copy is one memcpy).
 */
export function heapCopy(backend: WasmHeapBackend, at: number, n: number, slot: number): Float32Array {
  const a = hostScratch(slot, n);
  a.set(heapF32(backend).subarray(at, at + n));
  return a;
}

/** Writes `values` into the heap at float index `at` (one memcpy). */
export function heapSet(backend: WasmHeapBackend, values: Float32Array, at: number): void {
  heapF32(backend).set(values, at);
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
