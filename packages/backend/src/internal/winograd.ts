import type * as tf from '@tensorflow/tfjs';
import { HELPER_MIN_FLOPS, helperChunk, simdHelper } from './simd-helper.js';
import type { SimdWasm } from './simd-wasm.js';
import { heapOffset, type WasmHeapBackend } from './wasm-heap-view.js';

/**
 * The int32 block that `winograd_conv` and `winograd_filter_grad` of gflow's SIMD module read
 * (`packages/backend/wasm/gflow-simd.c`, enum P_*): pointers (byte offsets into the heap) and the
 * convolution's geometry, in this order.
 */
const P = {
  X: 0,
  /** U = G g Gᵀ for the convolution, dy for the filter gradient. */
  Second: 1,
  /** y, or dW. */
  Out: 2,
  Scratch: 3,
  Flag: 4,
  N: 5,
  H: 6,
  W: 7,
  C: 8,
  K: 9,
  Ho: 10,
  Wo: 11,
  PadTop: 12,
  PadLeft: 13,
  Chunk: 14,
  /** The non-finite flag's own slot (Flag points here). */
  FlagSlot: 15,
  Length: 16,
} as const;

/** Tiles per block in `winograd_conv` (WB in the C source). */
const WB = 16;
/** Tiles per block in `winograd_filter_grad` (WB2 in the C source). */
const WB2 = 32;

/** A 3×3 stride-1 NHWC convolution x [N, H, W, C] ⋆ w [3, 3, C, K] → [N, Ho, Wo, K]. */
export interface WinogradGeometry {
  readonly N: number;
  readonly H: number;
  readonly W: number;
  readonly C: number;
  readonly K: number;
  readonly Ho: number;
  readonly Wo: number;
  /** Rows and columns of zeros before the input (the rest is implied by Ho, Wo). */
  readonly top: number;
  readonly left: number;
}

const counts = { conv: 0, filterGradient: 0 };

/** Convolutions and filter gradients computed by Winograd so far in this process (for tests: that it ran). */
export function winogradRuns(): { readonly conv: number; readonly filterGradient: number } {
  return { ...counts };
}

/** Whether the SIMD module `simd` has the Winograd functions (the full module). */
export function hasWinogradFunctions(
  simd: SimdWasm | undefined,
): simd is SimdWasm &
  Required<
    Pick<
      SimdWasm,
      'winograd_filter' | 'winograd_conv' | 'winograd_filter_grad' | 'winograd_filter_grad_finish'
    >
  > {
  return (
    simd?.winograd_conv !== undefined &&
    simd.winograd_filter !== undefined &&
    simd.winograd_filter_grad !== undefined &&
    simd.winograd_filter_grad_finish !== undefined
  );
}

/**
 * Whether a convolution of this size is one the Winograd functions take: C and K multiples of 4,
 * at least one output.
 */
export function winogradFits(g: WinogradGeometry): boolean {
  return g.C > 0 && g.K > 0 && g.C % 4 === 0 && g.K % 4 === 0 && g.N > 0 && g.Ho > 0 && g.Wo > 0;
}

/** Tiles of 2×2 outputs. */
function tilesOf(g: WinogradGeometry): number {
  return g.N * Math.ceil(g.Ho / 2) * Math.ceil(g.Wo / 2);
}

/**
 * y = x ⋆ w [N, Ho, Wo, K] by Winograd F(2×2, 3×3), a fresh heap tensor, the tiles shared with
 * gflow's SIMD helper thread where it runs and the product is large. undefined (nothing left
 * allocated) if an output is not finite: the caller redoes the convolution directly.
 */
export function winogradConvolve(
  heap: WasmHeapBackend,
  simd: SimdWasm & Required<Pick<SimdWasm, 'winograd_filter' | 'winograd_conv'>>,
  x: tf.TensorInfo,
  w: tf.TensorInfo,
  g: WinogradGeometry,
): tf.TensorInfo | undefined {
  const tiles = tilesOf(g);
  return run(heap, simd, {
    fn: 'winograd_conv',
    count: 'conv',
    x,
    outShape: [g.N, g.Ho, g.Wo, g.K],
    g,
    rows: tiles,
    flops: 2 * tiles * 16 * g.C * g.K,
    extraFloats: 16 * g.C * g.K,
    perChunk: 16 * WB * (g.C + g.K),
    // U = G g Gᵀ into the extra floats: the second operand.
    second: (u) => {
      simd.winograd_filter(heapOffset(heap, w), u, g.C, g.K);
      return u;
    },
  });
}

/**
 * dW [3, 3, C, K] of y = x ⋆ w from dy [N, Ho, Wo, K] by Winograd F(2×2, 3×3), a fresh heap
 * tensor. The tiles are summed in four fixed chunks (shared with the helper thread where it runs,
 * in turn on this thread otherwise: the same bits either way), whose partial sums are then added
 * in order and transformed. undefined (nothing left allocated) if an element is not finite: the
 * caller redoes it directly.
 */
export function winogradFilterGradient(
  heap: WasmHeapBackend,
  simd: SimdWasm & Required<Pick<SimdWasm, 'winograd_filter_grad' | 'winograd_filter_grad_finish'>>,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  g: WinogradGeometry,
): tf.TensorInfo | undefined {
  const tiles = tilesOf(g);
  return run(heap, simd, {
    fn: 'winograd_filter_grad',
    count: 'filterGradient',
    x,
    outShape: [3, 3, g.C, g.K],
    g,
    rows: tiles,
    flops: 2 * tiles * 16 * g.C * g.K,
    extraFloats: 0,
    perChunk: 16 * (WB2 * (g.C + g.K) + g.C * g.K),
    second: () => heapOffset(heap, dy),
    fixedChunks: true,
    finish: (at) => simd.winograd_filter_grad_finish(at, 0, g.C),
  });
}

/** What {@link run} runs. */
interface Job {
  readonly fn: 'winograd_conv' | 'winograd_filter_grad';
  /** The counter of {@link winogradRuns} a finite result adds to. */
  readonly count: keyof typeof counts;
  readonly x: tf.TensorInfo;
  readonly outShape: number[];
  readonly g: WinogradGeometry;
  /** The rows `fn` is run over (shared by chunks with the helper). */
  readonly rows: number;
  readonly flops: number;
  /** Floats the caller needs after the parameter block (filled by `second`). */
  readonly extraFloats: number;
  /** The scratch block of one chunk, floats. */
  readonly perChunk: number;
  /** Fills the extra floats (at their byte offset) and returns the second operand's offset. */
  readonly second: (extraAt: number) => number;
  /** Always the helper's chunks, on one thread too (where the chunks decide the bits). */
  readonly fixedChunks?: boolean;
  /** Run on this thread after `fn`, with the parameter block's offset. */
  readonly finish?: (params: number) => void;
}

/**
 * Writes the parameter block into a scratch buffer [params | extra floats | a block per chunk] and
 * runs the job's function over its rows, into a fresh output: with the helper for at least
 * {@link HELPER_MIN_FLOPS}; alone in one call where the results do not depend on the chunks, else
 * chunk by chunk. The output, or undefined (freed) if an element is not finite; the scratch is
 * freed whatever happens.
 */
function run(heap: WasmHeapBackend, simd: SimdWasm, job: Job): tf.TensorInfo | undefined {
  const { g, rows, fixedChunks = false } = job;
  const helper = job.flops >= HELPER_MIN_FLOPS ? simdHelper(heap) : undefined;
  const chunk = helper === undefined && !fixedChunks ? rows : helperChunk(rows);
  // A block per chunk; the one-thread fallback may take all rows as one chunk: room for both.
  const blocks = Math.max(Math.ceil(rows / chunk), 1) * job.perChunk;
  const out = heap.makeOutput(job.outShape, 'float32');
  const scratch = heap.makeOutput([P.Length + job.extraFloats + blocks], 'float32');
  let finite = false;
  try {
    const at = heapOffset(heap, scratch);
    const p = new Int32Array(heap.wasm.HEAPU8.buffer, at, P.Length);
    const extraAt = at + 4 * P.Length;
    p[P.X] = heapOffset(heap, job.x);
    p[P.Second] = job.second(extraAt);
    p[P.Out] = heapOffset(heap, out);
    p[P.Scratch] = extraAt + 4 * job.extraFloats;
    p[P.Flag] = at + 4 * P.FlagSlot;
    p[P.N] = g.N;
    p[P.H] = g.H;
    p[P.W] = g.W;
    p[P.C] = g.C;
    p[P.K] = g.K;
    p[P.Ho] = g.Ho;
    p[P.Wo] = g.Wo;
    p[P.PadTop] = g.top;
    p[P.PadLeft] = g.left;
    p[P.Chunk] = chunk;
    p[P.FlagSlot] = 0;
    const f = simd[job.fn] as (params: number, j0: number, j1: number) => void;
    if (helper === undefined || !helper.rows(job.fn, simd, [at], rows)) {
      // Alone, or again alone after a chunk trapped on either thread (where it throws).
      p[P.FlagSlot] = 0;
      if (fixedChunks) {
        for (let j0 = 0; j0 < rows; j0 += chunk) f(at, j0, Math.min(rows, j0 + chunk));
      } else {
        p[P.Chunk] = rows;
        f(at, 0, rows);
      }
    }
    job.finish?.(at);
    finite = new Int32Array(heap.wasm.HEAPU8.buffer, at, P.Length)[P.FlagSlot] === 0;
  } finally {
    heap.disposeData(scratch.dataId);
    if (!finite) heap.disposeData(out.dataId);
  }
  if (!finite) return undefined;
  counts[job.count]++;
  return out;
}
