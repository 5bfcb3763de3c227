import type * as tf from '@tensorflow/tfjs';

/** The parts of tfjs-backend-wasm's `BackendWasm` that heap views use. */
export interface WasmViewBackend {
  dataIdMap: {
    get(id: object): { id: number; memoryOffset: number } | undefined;
    delete(id: object): boolean;
  };
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): tf.TensorInfo;
  disposeData(dataId: object): boolean;
  wasm: { HEAPU8: Uint8Array; tfjs: { disposeData(id: number): void } };
}

/** The byte offset of `t`'s data in the wasm heap. */
export function heapOffset(backend: WasmViewBackend, t: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (data === undefined) throw new Error('gflow wasm kernel: the input is not on the wasm backend');
  return data.memoryOffset;
}

/**
 * A float32 tensor of `shape` that *views* the heap at byte offset `at` (no copy, no allocation):
 * registered the way tfjs registers an output that C++ allocated. Release it with
 * {@link releaseView}, never with `disposeData` (which would free memory the view does not own).
 */
export function heapView(backend: WasmViewBackend, at: number, shape: number[]): tf.TensorInfo {
  return backend.makeOutput(shape, 'float32', at);
}

/** Unregisters a {@link heapView} without freeing the memory it looks at. */
export function releaseView(backend: WasmViewBackend, view: tf.TensorInfo): void {
  const data = backend.dataIdMap.get(view.dataId);
  if (data !== undefined) backend.wasm.tfjs.disposeData(data.id);
  backend.dataIdMap.delete(view.dataId);
}
