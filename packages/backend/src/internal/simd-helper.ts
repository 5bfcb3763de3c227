import { currentHost } from './host.js';
import { type SimdWasm, simdWasmModule } from './simd-wasm.js';
import type { WasmHeapBackend } from './wasm-heap-view.js';

/**
 * A second thread for gflow's wasm SIMD loops: a worker that instantiates the same module on
 * tfjs-wasm's shared heap and shares work that splits into independent row ranges with the
 * kernel's own thread: the fused tanh RNN's ∂L/∂w (2·b·T·n² flops), its recurrences forward and
 * backward (the batch's rows), products by fresh weights and the Winograd convolutions
 * (BENCHMARKS.md). The rows go in chunks to whichever thread is free first, so a
 * helper that wakes late (measured: 1 ms while XNNPACK's pool thread still spins after a matmul,
 * several ms after the core has idled) takes fewer chunks instead of making the kernel wait.
 *
 * Only where tfjs runs its threaded build with two or more threads (the memory is then a
 * `SharedArrayBuffer`, and the user asked for more than one core), and only under Node: a page has
 * no helper (its main thread may not block on `Atomics.wait`). `initBackend` starts the worker
 * ({@link startSimdHelper}; otherwise the first {@link simdHelper} call does), and it answers
 * through a shared control block, so a kernel never waits on the event loop: until it is ready
 * the kernel does all the work itself. The worker sleeps in `Atomics.wait` between calls
 * (no CPU), does not keep the process alive, and is terminated when tfjs's module is collected.
 */
export interface SimdHelper {
  /**
   * Runs `fn(...args, j0, j1)` over [0, rows) in chunks of `chunk` rows (by default
   * {@link helperChunk}: four chunks of whole 4-row tiles, as more would read the other operand of
   * a product again for each), on this thread and the helper's, and returns when all are
   * done: true, or false if a chunk trapped on either thread (its rows are then unfinished: the
   * caller redoes the whole product on its own thread, where the trap throws).
   */
  rows<K extends HelperFunction>(
    fn: K,
    simd: SimdWasm,
    args: HelperArgs<K>,
    rows: number,
    chunk?: number,
  ): boolean;
  /** Chunks the helper thread has run so far (for tests: that it took part). */
  readonly helped: number;
}

/**
 * Below this many flops a product is not shared with the helper thread: waking it and waiting for
 * it cost tens of microseconds.
 */
export const HELPER_MIN_FLOPS = 1 << 22;

/**
 * The rows per chunk of {@link SimdHelper.rows} over `rows` rows: whole 4-row tiles, at most four
 * chunks (a function that keeps a scratch block per chunk needs to know them).
 */
export function helperChunk(rows: number): number {
  return 4 * Math.ceil(rows / 16);
}

/**
 * The module's functions a helper may run, each taking a row range [j0, j1) as its last two
 * arguments; the worker finds them by their index here.
 */
const FUNCTIONS = [
  'rnn_weight_grad',
  'matmul',
  'winograd_conv',
  'winograd_filter_grad',
  'rnn_forward_rows',
  'rnn_backward_rows',
  'rnn_step_pairs',
] as const satisfies readonly (keyof SimdWasm)[];
/** The module's functions a helper may run (see {@link SimdHelper.rows}). */
export type HelperFunction = (typeof FUNCTIONS)[number];
/** A helper function's arguments without the row range. */
export type HelperArgs<K extends HelperFunction> =
  Parameters<NonNullable<SimdWasm[K]>> extends [...infer A, number, number] ? A : never;

// The control block: Int32 slots in a SharedArrayBuffer.
/** The number of the call asked for. */
const SEQ = 0;
/** The next chunk to take (both threads take chunks with Atomics.add). */
const NEXT = 1;
/** Chunks finished (by either thread). */
const FINISHED = 2;
/** 1 once the worker has its instance, −1 if it could not make one. */
const READY = 3;
/** 1 unless a chunk trapped in the helper during this call. */
const STATUS = 4;
/** Chunks the helper has run, over all calls. */
const HELPED = 5;
/** Which function ({@link FUNCTIONS} index). */
const FN = 6;
/** Rows in all, and rows per chunk. */
const ROWS = 7;
const CHUNK = 8;
/** How many arguments before the row range. */
const NARGS = 9;
/** The arguments (int32: byte offsets and sizes). */
const ARGS = 10;
const MAX_ARGS = 14;

/**
 * The worker's script (evaluated as CommonJS under Node, with `workerData` = {module, memory,
 * ctrl, names}). It instantiates the module on the shared memory, says it is ready, and at each
 * call takes chunks until none is left. Every argument is read after the chunk is taken, which the
 * caller wrote before it reset the chunk counter: a helper that wakes so late that the next call
 * has begun serves that call, with that call's arguments.
 */
const WORKER_SOURCE = `'use strict';
const { workerData } = require('node:worker_threads');
const { module, memory, ctrl, names } = workerData;
const c = new Int32Array(ctrl);
let fns;
try {
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  fns = names.map((n) => exports[n]);
  Atomics.store(c, ${READY}, 1);
} catch {
  Atomics.store(c, ${READY}, -1);
}
let seen = 0;
while (fns !== undefined) {
  Atomics.wait(c, ${SEQ}, seen);
  const seq = Atomics.load(c, ${SEQ});
  if (seq === seen) continue;
  seen = seq;
  for (;;) {
    const k = Atomics.add(c, ${NEXT}, 1);
    const rows = c[${ROWS}];
    const chunk = c[${CHUNK}];
    const j0 = k * chunk;
    if (j0 >= rows) break;
    try {
      fns[c[${FN}]](...c.subarray(${ARGS}, ${ARGS} + c[${NARGS}]), j0, Math.min(rows, j0 + chunk));
    } catch {
      c[${STATUS}] = 0;
    }
    Atomics.add(c, ${HELPED}, 1);
    Atomics.add(c, ${FINISHED}, 1);
    Atomics.notify(c, ${FINISHED});
  }
}
`;

class WorkerHelper implements SimdHelper {
  private seq = 0;
  constructor(private readonly c: Int32Array) {}

  get helped(): number {
    return Atomics.load(this.c, HELPED);
  }

  ready(): boolean {
    return Atomics.load(this.c, READY) === 1;
  }

  failed(): boolean {
    return Atomics.load(this.c, READY) === -1;
  }

  rows<K extends HelperFunction>(
    fn: K,
    simd: SimdWasm,
    args: HelperArgs<K>,
    rows: number,
    chunk = helperChunk(rows),
  ): boolean {
    const { c } = this;
    const list = args as unknown as number[];
    c[FN] = FUNCTIONS.indexOf(fn);
    c[NARGS] = list.length;
    for (let i = 0; i < list.length; i++) c[ARGS + i] = list[i] as number;
    c[ROWS] = rows;
    c[CHUNK] = chunk;
    c[STATUS] = 1;
    Atomics.store(c, FINISHED, 0);
    Atomics.store(c, NEXT, 0); // after every argument: a chunk taken from here on sees them
    this.seq = this.seq === 0x7fffffff ? 1 : this.seq + 1;
    Atomics.store(c, SEQ, this.seq);
    Atomics.notify(c, SEQ, 1);
    const run = simd[fn] as (...a: number[]) => void;
    let ok = true;
    for (;;) {
      const j0 = Atomics.add(c, NEXT, 1) * chunk;
      if (j0 >= rows) break;
      try {
        run(...list, j0, Math.min(rows, j0 + chunk));
      } catch {
        ok = false;
      }
      Atomics.add(c, FINISHED, 1);
    }
    // Every chunk is taken; wait for the one the helper may still be running.
    const total = Math.ceil(rows / chunk);
    for (;;) {
      const done = Atomics.load(c, FINISHED);
      if (done >= total) break;
      Atomics.wait(c, FINISHED, done);
    }
    return ok && c[STATUS] === 1;
  }
}

let enabled = true;

/**
 * Turns the helper thread off (false) or back on, for tests that compare one thread with two;
 * returns the previous setting. Off, {@link simdHelper} answers undefined (a running worker stays
 * asleep).
 */
export function useSimdHelper(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/** One helper per tfjs wasm module (null: none can run there). */
const helpers = new WeakMap<object, WorkerHelper | null>();
const stopOnCollect =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<{ terminate(): void }>((w) => w.terminate())
    : undefined;

/** tfjs's XNNPACK thread count (`wasm.tfjs.getThreadsCount`), 1 where it cannot be read. */
function tfjsThreads(heap: WasmHeapBackend): number {
  return typeof heap.wasm.tfjs.getThreadsCount === 'function' ? heap.wasm.tfjs.getThreadsCount() : 1;
}

function spawn(heap: WasmHeapBackend): WorkerHelper | null {
  let spawnWorker: ((source: string, data: unknown) => { terminate(): void }) | undefined;
  try {
    spawnWorker = currentHost().spawnWorker;
  } catch {
    return null; // no host installed: modules imported below the entry
  }
  const mod = simdWasmModule(heap);
  if (spawnWorker === undefined || mod === undefined || !mod.shared || tfjsThreads(heap) < 2) return null;
  const ctrl = new SharedArrayBuffer(4 * (ARGS + MAX_ARGS));
  try {
    const worker = spawnWorker(WORKER_SOURCE, {
      module: mod.module,
      memory: mod.memory,
      ctrl,
      names: FUNCTIONS,
    });
    stopOnCollect?.register(heap.wasm, worker);
  } catch {
    return null;
  }
  return new WorkerHelper(new Int32Array(ctrl));
}

/**
 * Starts the helper thread for `heap`'s SIMD module where one can run, and resolves once it is
 * ready (true), or at once when none can run here, or if it has not answered within `timeoutMs`
 * (false). `initBackend` calls it for the threaded engine, so that the worker's start (about 40 ms
 * of a core) is over before the first kernel that would use it.
 */
export async function startSimdHelper(heap: WasmHeapBackend, timeoutMs = 5000): Promise<boolean> {
  if (!enabled) return false;
  const h = helperOf(heap);
  const deadline = Date.now() + timeoutMs;
  while (h !== null && !h.ready() && !h.failed() && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5));
  }
  return h?.ready() ?? false;
}

/**
 * The helper thread for `heap`'s SIMD module once it is ready, else undefined (not started yet,
 * still starting, or impossible here: see {@link SimdHelper}). The first call starts it.
 */
export function simdHelper(heap: WasmHeapBackend): SimdHelper | undefined {
  if (!enabled) return undefined;
  const h = helperOf(heap);
  return h?.ready() ? h : undefined;
}

/** `heap`'s helper, started on first use (null: none can run there). */
function helperOf(heap: WasmHeapBackend): WorkerHelper | null {
  let h = helpers.get(heap.wasm);
  if (h === undefined) {
    h = spawn(heap);
    helpers.set(heap.wasm, h);
  }
  return h;
}
