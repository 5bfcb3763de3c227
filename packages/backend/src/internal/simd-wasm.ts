import {
  SIMD_WASM_PLAIN,
  SIMD_WASM_PLAIN_FULL,
  SIMD_WASM_SHARED,
  SIMD_WASM_SHARED_FULL,
} from './simd-wasm-binary.js';
import type { WasmHeapBackend } from './wasm-heap-view.js';

/**
 * gflow's wasm SIMD loops on tfjs-backend-wasm's own memory (`packages/backend/wasm/gflow-simd.c`,
 * built by `wasm/build.mjs`). Every argument named like a tensor is a byte offset into the heap.
 * The `rnn_` step functions compute bit for bit what the fused tanh RNN kernels' JavaScript loops
 * compute (`forwardStep`, `backwardStep` of `kernels/TanhRnnSequence.ts`), in place on the heap
 * tensors instead of on host copies.
 */
export interface SimdWasm {
  /** h_t = tanh(y + u_t) into row [b, n] and H's rows (i, t) of [b, T, n]. */
  rnn_forward_step(
    y: number,
    u: number,
    row: number,
    H: number,
    t: number,
    T: number,
    b: number,
    n: number,
  ): void;
  /**
   * d = dy_t (+ g when hasG) into dht's step t ([T, b, n], when hasDht); dz_t = d·(1 − h_t²) into
   * dz's rows (i, t) of [b, T, n] and into row [b, n]; with hasPairs, the scaled pair of float32(d)
   * (`hostScaledPair` of `@gflow/core/internal`, bit for bit) into pairs[2t], pairs[2t + 1].
   */
  rnn_backward_step(
    dy: number,
    H: number,
    g: number,
    hasG: number,
    dz: number,
    dht: number,
    hasDht: number,
    row: number,
    pairs: number,
    hasPairs: number,
    t: number,
    T: number,
    b: number,
    n: number,
  ): void;
  /**
   * Rows [j0, j1) of dW [n, n] += Σ over the rows (i, t) of [b, T, n], in order, of h_{t−1}ᵀ dz_t
   * (h0's row i for t = 0), accumulated in float32 onto dW as it is (the caller zeroes it). Each
   * element's sum is the same whatever the row range, so two threads may share the rows.
   */
  rnn_weight_grad(
    H: number,
    h0: number,
    dz: number,
    dW: number,
    T: number,
    b: number,
    n: number,
    j0: number,
    j1: number,
  ): void;
  /**
   * Rows [j0, j1) of c [m, n] += A · b for b [K, n] and A(j, r) = a[j·aq + r·ar]: aᵀ·b for a
   * [K, m] with (aq, ar) = (1, m), a·b for a [m, K] with (K, 1). The caller zeroes c. Each element
   * is accumulated row after row of b in float32 (as XNNPACK's kernels do: the same result as its
   * (bᵀ·a)ᵀ, bit for bit, where tested), so two threads may share the rows.
   */
  matmul(
    a: number,
    b: number,
    c: number,
    K: number,
    n: number,
    aq: number,
    ar: number,
    j0: number,
    j1: number,
  ): void;
  /** out [cols, rows] = in [rows, cols]ᵀ. */
  transpose2d(input: number, out: number, rows: number, cols: number): void;
  /**
   * U [16, C, K] = G g Gᵀ of Winograd F(2×2, 3×3) for g = w [3, 3, C, K]; K a multiple of 4.
   * Only in the full module (see {@link SimdWasmModule.full}).
   */
  winograd_filter?(w: number, u: number, C: number, K: number): void;
  /**
   * Tiles [j0, j1) of a 3×3 stride-1 NHWC convolution by Winograd F(2×2, 3×3), its geometry and
   * pointers in the int32 block `params` (`internal/winograd.ts`). Only in the
   * full module.
   */
  winograd_conv?(params: number, j0: number, j1: number): void;
  /**
   * The filter gradient of that convolution by Winograd F(2×2, 3×3), from x and dy (its geometry
   * in `params` as for `winograd_conv`), first part: the partial sums over tiles [j0, j1), one
   * chunk, into the chunk's scratch block. Only in the full module.
   */
  winograd_filter_grad?(params: number, j0: number, j1: number): void;
  /**
   * Rows [j0, j1) (input channels) of dW [3, 3, C, K] from the chunks' partial sums, added in
   * chunk order. Only in the full module.
   */
  winograd_filter_grad_finish?(params: number, j0: number, j1: number): void;
  /**
   * Rows [i0, i1) of a whole tanh RNN sequence: h_t = tanh(u_t + h_{t−1}·w) into H's rows (i, t)
   * of [b, T, n] for every step, the product in y's rows [i0, i1) of [b, n] (scratch); u [b, T, n],
   * w [n, n], h0 [b, n]. The rows' recurrences are independent, so two threads share the rows
   * without meeting at every step; each value is what `rnn_forward_step` after XNNPACK's product
   * computes, bit for bit (tested). Only in the full module.
   */
  rnn_forward_rows?(
    u: number,
    w: number,
    h0: number,
    H: number,
    y: number,
    T: number,
    n: number,
    i0: number,
    i1: number,
  ): void;
  /**
   * Rows [i0, i1) of backpropagation through a whole tanh RNN sequence, from the last step:
   * `rnn_backward_step`'s d (into dht's step t, [T, b, n], when hasDht) and dz_t (into dz's rows
   * (i, t) of [b, T, n]), then g's rows of [b, n] = dz_t·wᵀ (wT = wᵀ), which ends as ∂L/∂h0. No
   * pairs: {@link rnn_step_pairs} takes them from dht afterwards. Only in the full module.
   */
  rnn_backward_rows?(
    dy: number,
    H: number,
    wT: number,
    dz: number,
    dht: number,
    hasDht: number,
    g: number,
    T: number,
    b: number,
    n: number,
    i0: number,
    i1: number,
  ): void;
  /**
   * Steps [t0, t1) of pairs [T, 2]: the scaled pair of each step of dht [T, count] (count a
   * multiple of 4), as `rnn_backward_step`'s hasPairs computes it. Only in the full module.
   */
  rnn_step_pairs?(dht: number, pairs: number, count: number, t0: number, t1: number): void;
}

/** The emscripten module fields that hold its `WebAssembly.Memory` (threaded and unthreaded glue). */
interface MemoryHolder {
  wasmMemory?: WebAssembly.Memory;
  asm?: { memory?: WebAssembly.Memory };
}

/** The compiled module and the memory it was instantiated on (what a helper thread needs). */
export interface SimdWasmModule {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  /** Whether the memory is shared (tfjs's threaded build): only then can another thread use it. */
  readonly shared: boolean;
  /**
   * Whether this is the full module (with the Winograd convolutions and the RNN's whole-sequence rows, 16 KB), which is compiled
   * first; where that fails (a browser's main thread may refuse: Chrome allowed 4 KB synchronously
   * there, 8 MB since), the
   * small one, until {@link loadFullSimdWasm} has loaded the full one asynchronously.
   */
  readonly full: boolean;
}

interface Instance extends SimdWasmModule {
  readonly exports: SimdWasm;
}

/** One instance per tfjs wasm module (null: could not be made, e.g. an engine without SIMD). */
const instances = new WeakMap<object, Instance | null>();
let enabled = true;

/**
 * Turns the wasm SIMD loops off (false) or back on, for tests that compare them with the
 * JavaScript loops; returns the previous setting.
 */
export function useSimdWasm(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const s = atob(base64);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}

function instantiate(heap: WasmHeapBackend): Instance | null {
  const holder = heap.wasm as unknown as MemoryHolder;
  const memory = holder.wasmMemory ?? holder.asm?.memory;
  if (typeof WebAssembly !== 'object' || !(memory instanceof WebAssembly.Memory)) return null;
  if (memory.buffer !== heap.wasm.HEAPU8.buffer) return null;
  const shared = typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;
  const tries: [string, boolean][] = [
    [shared ? SIMD_WASM_SHARED_FULL : SIMD_WASM_PLAIN_FULL, true],
    // ~3.9 KB: small enough for a synchronous compile on a browser's main thread.
    [shared ? SIMD_WASM_SHARED : SIMD_WASM_PLAIN, false],
  ];
  for (const [bytes, full] of tries) {
    try {
      const module = new WebAssembly.Module(decode(bytes));
      const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SimdWasm;
      return { exports, module, memory, shared, full };
    } catch {
      // Too large to compile here (try the small one), no wasm SIMD (tfjs then runs its plain
      // build too), or a memory this module cannot import.
    }
  }
  return null;
}

/**
 * The wasm SIMD loops on `heap`'s memory, or undefined where they cannot run (no SIMD, memory
 * not reachable) or are turned off: the kernels then run their JavaScript loops.
 */
export function simdWasm(heap: WasmHeapBackend): SimdWasm | undefined {
  return enabled ? instanceOf(heap)?.exports : undefined;
}

/**
 * Makes the full module (with the Winograd convolutions) the one the kernels find on `heap`
 * where only the small one could be compiled synchronously, as on a browser's main thread (at
 * most 4 KB there in Chrome before it raised the limit to 8 MB): it is compiled and instantiated
 * asynchronously, which a page may do at any
 * size. true once the full module runs on `heap`; false where no module can run (no SIMD, memory
 * not reachable) or this one failed. `initBackend` calls it for the wasm engine.
 */
export async function loadFullSimdWasm(heap: WasmHeapBackend): Promise<boolean> {
  const inst = instanceOf(heap);
  if (inst === undefined) return false;
  if (inst.full) return true;
  try {
    const { module, instance } = await WebAssembly.instantiate(
      decode(inst.shared ? SIMD_WASM_SHARED_FULL : SIMD_WASM_PLAIN_FULL),
      { env: { memory: inst.memory } },
    );
    const exports = instance.exports as unknown as SimdWasm;
    instances.set(heap.wasm, { exports, module, memory: inst.memory, shared: inst.shared, full: true });
    return true;
  } catch {
    return false;
  }
}

/** The module behind {@link simdWasm} and its memory, for a helper thread; same conditions. */
export function simdWasmModule(heap: WasmHeapBackend): SimdWasmModule | undefined {
  return enabled ? instanceOf(heap) : undefined;
}

function instanceOf(heap: WasmHeapBackend): Instance | undefined {
  let inst = instances.get(heap.wasm);
  if (inst === undefined) {
    inst = instantiate(heap);
    instances.set(heap.wasm, inst);
  }
  return inst ?? undefined;
}
