import type * as tf from '@tensorflow/tfjs';

/** The parts of tfjs-backend-wasm's `BackendWasm` that its `readSync` uses. */
interface ReadableWasmBackend {
  dataIdMap: {
    get(id: object): { memoryOffset: number; dtype: tf.DataType; shape: number[] } | undefined;
  };
  wasm: { HEAPU8: Uint8Array };
  readSync(dataId: object, start?: number, end?: number): tf.backend_util.BackendValues;
}

const patched = new WeakSet<object>();

/**
 * Replaces the `readSync` of tfjs-backend-wasm's backend instance (what every `dataSync()` and
 * `arraySync()` on wasm calls) with one that copies float32 and int32 data out of the heap as
 * 4-byte elements instead of bytes. tfjs's own `HEAPU8.slice` copies byte by byte when the heap is
 * a SharedArrayBuffer (the threaded build), about 5 times slower than `Float32Array.set` from a
 * view of the same bytes (BENCHMARKS.md has the times). The result is the same fresh typed array
 * of the data; strings, bool data and misaligned offsets keep tfjs's path.
 */
export function fillWasmReadSync(backend: unknown): string | undefined {
  const b = backend as ReadableWasmBackend;
  if (typeof b?.readSync !== 'function' || b.dataIdMap === undefined || b.wasm?.HEAPU8 === undefined)
    return undefined;
  if (patched.has(b)) return 'backend:readSync';
  const stock = b.readSync.bind(b);
  b.readSync = (dataId: object, start?: number, end?: number) => {
    const d = b.dataIdMap.get(dataId);
    if (d === undefined || (d.dtype !== 'float32' && d.dtype !== 'int32') || d.memoryOffset % 4 !== 0) {
      return stock(dataId, start, end);
    }
    const from = start ?? 0;
    const to = end ?? d.shape.reduce((x, y) => x * y, 1);
    const n = Math.max(0, to - from);
    const heap = b.wasm.HEAPU8.buffer;
    const at = d.memoryOffset + 4 * from;
    if (d.dtype === 'float32') {
      const out = new Float32Array(n);
      out.set(new Float32Array(heap, at, n));
      return out;
    }
    const out = new Int32Array(n);
    out.set(new Int32Array(heap, at, n));
    return out;
  };
  patched.add(b);
  return 'backend:readSync';
}
