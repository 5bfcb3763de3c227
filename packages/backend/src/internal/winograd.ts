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
 * y = x ⋆ w by Winograd F(2×2, 3×3) into the fresh heap tensor `y` [N, Ho, Wo, K], the tiles
 * shared with gflow's SIMD helper thread where it runs and the product is large. false if an output
 * is not finite (the caller redoes the convolution directly).
 */
export function winogradConvolve(
  heap: WasmHeapBackend,
  simd: SimdWasm & Required<Pick<SimdWasm, 'winograd_filter' | 'winograd_conv'>>,
  x: tf.TensorInfo,
  w: tf.TensorInfo,
  y: tf.TensorInfo,
  g: WinogradGeometry,
): boolean {
  const tiles = tilesOf(g);
  const uFloats = 16 * g.C * g.K;
  return counted(
    'conv',
    run(
      heap,
      simd,
      'winograd_conv',
      x,
      y,
      g,
      tiles,
      2 * tiles * 16 * g.C * g.K,
      uFloats,
      () => 16 * WB * (g.C + g.K),
      (u) => {
        simd.winograd_filter(heapOffset(heap, w), u, g.C, g.K);
        return u;
      },
    ),
  );
}

/**
 * dW [3, 3, C, K] of y = x ⋆ w from dy [N, Ho, Wo, K] by Winograd F(2×2, 3×3) into the fresh heap
 * tensor `dw`. The tiles are summed in four fixed chunks (shared with the helper thread where it
 * runs, in turn on this thread otherwise: the same bits either way), whose partial sums are then
 * added in order and transformed. false if an element is not finite (the caller redoes it
 * directly).
 */
export function winogradFilterGradient(
  heap: WasmHeapBackend,
  simd: SimdWasm & Required<Pick<SimdWasm, 'winograd_filter_grad' | 'winograd_filter_grad_finish'>>,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  dw: tf.TensorInfo,
  g: WinogradGeometry,
): boolean {
  const tiles = tilesOf(g);
  const flops = 2 * tiles * 16 * g.C * g.K;
  const perChunk = 16 * (WB2 * (g.C + g.K) + g.C * g.K);
  const finite = run(
    heap,
    simd,
    'winograd_filter_grad',
    x,
    dw,
    g,
    tiles,
    flops,
    0,
    () => perChunk,
    () => heapOffset(heap, dy),
    {
      fixedChunks: true,
      finish: (at) => simd.winograd_filter_grad_finish(at, 0, g.C),
    },
  );
  return counted('filterGradient', finite);
}

function counted(what: keyof typeof counts, finite: boolean): boolean {
  if (finite) counts[what]++;
  return finite;
}

/**
 * Writes the parameter block into a scratch buffer [params | `extraFloats` | a block per chunk],
 * lets `second` fill the extra floats and name the second operand, and runs `fn` over `rows` rows,
 * with the helper for at least {@link HELPER_MIN_FLOPS}: where the rows' results do not depend on
 * the chunks, alone in one call; with `fixedChunks`, always in the helper's chunks. Then
 * `finish`, if any. The scratch is freed whatever happens.
 */
function run(
  heap: WasmHeapBackend,
  simd: SimdWasm,
  fn: 'winograd_conv' | 'winograd_filter_grad',
  x: tf.TensorInfo,
  out: tf.TensorInfo,
  g: WinogradGeometry,
  rows: number,
  flops: number,
  extraFloats: number,
  perChunk: (chunk: number) => number,
  second: (extraAt: number) => number,
  how: { fixedChunks?: boolean; finish?: (params: number) => void } = {},
): boolean {
  const helper = flops >= HELPER_MIN_FLOPS ? simdHelper(heap) : undefined;
  const chunk = helper === undefined && how.fixedChunks !== true ? rows : helperChunk(rows);
  const regions = Math.ceil(rows / chunk);
  // A block per chunk; the one-thread fallback takes all rows as one chunk: room for both.
  const blocks = Math.max(regions * perChunk(chunk), perChunk(rows));
  const scratch = heap.makeOutput([P.Length + extraFloats + blocks], 'float32');
  try {
    const at = heapOffset(heap, scratch);
    const p = new Int32Array(heap.wasm.HEAPU8.buffer, at, P.Length);
    const extraAt = at + 4 * P.Length;
    p[P.X] = heapOffset(heap, x);
    p[P.Second] = second(extraAt);
    p[P.Out] = heapOffset(heap, out);
    p[P.Scratch] = extraAt + 4 * extraFloats;
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
    const f = simd[fn] as (params: number, j0: number, j1: number) => void;
    if (helper === undefined || !helper.rows(fn, simd, [at], rows)) {
      // Alone, or again alone after a chunk trapped on either thread (where it throws): in one
      // call, or chunk by chunk where the chunks decide the bits.
      p[P.FlagSlot] = 0;
      if (how.fixedChunks === true) {
        for (let j0 = 0; j0 < rows; j0 += chunk) f(at, j0, Math.min(rows, j0 + chunk));
      } else {
        p[P.Chunk] = rows;
        f(at, 0, rows);
      }
    }
    how.finish?.(at);
    return new Int32Array(heap.wasm.HEAPU8.buffer, at, P.Length)[P.FlagSlot] === 0;
  } finally {
    heap.disposeData(scratch.dataId);
  }
}
