/**
 * EXPERIMENT (not used by the default benchmark): wasm `Slice` and `Unpack` that copy only the
 * slice.
 *
 * tfjs-backend-wasm 4.22's `Slice` starts with `backend.readSync(x.dataId)`, a copy of the WHOLE
 * input out of the wasm heap, for every slice; `Unpack` (`tf.unstack`) calls it once per output.
 * Unstacking a [32, 256, 128] sequence into 256 steps therefore copies 256 × 4 MiB: seconds, where
 * the 4 MiB of useful copying takes about a millisecond. These fills read the input through a
 * view of the heap instead and copy the slice's contiguous runs. They belong in
 * `@gflow/backend`'s wasm kernel fills; they live here to measure what they buy.
 */
import * as tf from '@tensorflow/tfjs';

interface WasmData {
  memoryOffset: number;
  shape: number[];
  dtype: tf.DataType;
}
interface WasmBackendLike {
  dataIdMap: { get(id: object): WasmData };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  wasm: { HEAPU8: Uint8Array };
}

function heapView(backend: WasmBackendLike, x: tf.TensorInfo): Float32Array | Int32Array | Uint8Array {
  const { memoryOffset } = backend.dataIdMap.get(x.dataId);
  const n = x.shape.reduce((a, b) => a * b, 1);
  const buf = backend.wasm.HEAPU8.buffer;
  if (x.dtype === 'float32') return new Float32Array(buf, memoryOffset, n);
  if (x.dtype === 'int32') return new Int32Array(buf, memoryOffset, n);
  return new Uint8Array(buf, memoryOffset, n);
}

/** Copies x[begin : begin + size] into a new output, run by contiguous run. */
function sliceInto(
  backend: WasmBackendLike,
  x: tf.TensorInfo,
  begin: number[],
  size: number[],
  outShape?: number[],
): tf.TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  const dst = backend.typedArrayFromHeap(out);
  const src = heapView(backend, x); // after makeOutput: a malloc may have grown the heap
  const rank = x.shape.length;
  const strides = [...tf.util.computeStrides(x.shape), 1]; // tfjs leaves out the last axis
  // Merge the trailing axes that are taken whole into one contiguous run.
  let run = 1;
  let k = rank - 1;
  while (k >= 0 && begin[k] === 0 && size[k] === x.shape[k]) {
    run *= size[k] as number;
    k--;
  }
  if (k >= 0) run *= size[k] as number;
  const outer = size.slice(0, Math.max(k, 0));
  const count = outer.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(outer.length).fill(0);
  let o = 0;
  for (let c = 0; c < count; c++) {
    let s = k >= 0 ? (begin[k] as number) * (strides[k] as number) : 0;
    for (let i = 0; i < outer.length; i++)
      s += ((begin[i] as number) + (idx[i] as number)) * (strides[i] as number);
    dst.set(src.subarray(s, s + run), o);
    o += run;
    for (let i = outer.length - 1; i >= 0; i--) {
      idx[i] = (idx[i] as number) + 1;
      if ((idx[i] as number) < (outer[i] as number)) break;
      idx[i] = 0;
    }
  }
  return outShape ? { dataId: out.dataId, dtype: out.dtype, shape: outShape } : out;
}

let installed = false;

/** Replaces the wasm `Slice` and `Unpack` kernels (idempotent); strings go to the stock kernels. */
export function registerHeapViewSlice(): void {
  if (installed) return;
  const stockSlice = tf.getKernel('Slice', 'wasm');
  const stockUnpack = tf.getKernel('Unpack', 'wasm');
  if (stockSlice === undefined || stockUnpack === undefined)
    throw new Error('registerHeapViewSlice: wasm kernels not registered');
  tf.unregisterKernel('Slice', 'wasm');
  tf.registerKernel({
    kernelName: 'Slice',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      if (x.dtype === 'string') return stockSlice.kernelFunc(args);
      const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
      const [b, s] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, begin, size) as [
        number[],
        number[],
      ];
      return sliceInto(args.backend as unknown as WasmBackendLike, x, b, s);
    },
  });
  tf.unregisterKernel('Unpack', 'wasm');
  tf.registerKernel({
    kernelName: 'Unpack',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const value = args.inputs.value as tf.TensorInfo;
      if (value.dtype === 'string') return stockUnpack.kernelFunc(args);
      const rank = value.shape.length;
      let axis = (args.attrs as unknown as { axis: number }).axis;
      if (axis < 0) axis += rank;
      const outShape = value.shape.filter((_, i) => i !== axis);
      const size = [...value.shape];
      size[axis] = 1;
      const begin = new Array<number>(rank).fill(0);
      const outs: tf.TensorInfo[] = [];
      for (let i = 0; i < (value.shape[axis] as number); i++) {
        begin[axis] = i;
        outs.push(sliceInto(args.backend as unknown as WasmBackendLike, value, begin, size, outShape));
      }
      return outs;
    },
  });
  installed = true;
}
