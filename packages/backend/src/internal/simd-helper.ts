import { currentHost } from './host.js';
import { type SimdWasm, simdWasmModule } from './simd-wasm.js';
import type { WasmHeapBackend } from './wasm-heap-view.js';

/**
 * A second thread for gflow's wasm SIMD loops: a worker that instantiates the same module on
 * tfjs-wasm's shared heap and runs one exported function at a time while the kernel's own thread
 * runs another part of the same work, for a product that splits into independent rows (the fused
 * tanh RNN's ∂L/∂w, 2·b·T·n² flops, about a quarter of `rnn-lag-256`: BENCHMARKS.md).
 *
 * Only where tfjs runs its threaded build with two or more threads (the memory is then a
 * `SharedArrayBuffer`, and the user asked for more than one core), and only under Node: a page has
 * no helper (its main thread may not block on `Atomics.wait`). The worker starts on first use and
 * answers through a shared control block, so a kernel never waits on the event loop: until it is
 * ready the kernel does all the work itself. The worker sleeps in `Atomics.wait` between calls
 * (no CPU), does not keep the process alive, and is terminated when tfjs's module is collected.
 */
export interface SimdHelper {
  /** Starts `fn(...args)` on the helper thread and returns at once. */
  start<K extends HelperFunction>(fn: K, args: Parameters<SimdWasm[K]>): void;
  /** Waits for the call {@link start} began; false if it threw (the caller then does that part). */
  finish(): boolean;
  /** Calls finished so far (for tests: that a kernel did use the helper). */
  readonly calls: number;
}

/** The module's functions a helper may run (each must write only what its arguments name). */
export type HelperFunction = 'rnn_weight_grad';
const FUNCTIONS: readonly HelperFunction[] = ['rnn_weight_grad'];

// The control block: Int32 slots in a SharedArrayBuffer.
/** The number of the call asked for (−1: stop). */
const SEQ = 0;
/** The number of the last call finished. */
const DONE = 1;
/** 1 once the worker has its instance, −1 if it could not make one. */
const READY = 2;
/** 1 if the last call returned, 0 if it threw. */
const STATUS = 3;
/** Which function ({@link FUNCTIONS} index). */
const FN = 4;
/** How many arguments. */
const NARGS = 5;
/** The arguments (int32: byte offsets and sizes). */
const ARGS = 6;
const MAX_ARGS = 16;

/**
 * The worker's script (evaluated as CommonJS under Node, with `workerData` = {module, memory,
 * ctrl, names}). It instantiates the module on the shared memory, says it is ready, and serves
 * calls until asked to stop.
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
  if (seq < 0) break;
  seen = seq;
  let ok = 1;
  try {
    fns[c[${FN}]](...c.subarray(${ARGS}, ${ARGS} + c[${NARGS}]));
  } catch {
    ok = 0;
  }
  c[${STATUS}] = ok;
  Atomics.store(c, ${DONE}, seq);
  Atomics.notify(c, ${DONE});
}
`;

class WorkerHelper implements SimdHelper {
  private seq = 0;
  calls = 0;
  constructor(private readonly c: Int32Array) {}

  ready(): boolean {
    return Atomics.load(this.c, READY) === 1;
  }

  start<K extends HelperFunction>(fn: K, args: Parameters<SimdWasm[K]>): void {
    const { c } = this;
    c[FN] = FUNCTIONS.indexOf(fn);
    c[NARGS] = args.length;
    for (let i = 0; i < args.length; i++) c[ARGS + i] = args[i] as number;
    this.seq = this.seq === 0x7fffffff ? 1 : this.seq + 1;
    Atomics.store(c, SEQ, this.seq);
    Atomics.notify(c, SEQ, 1);
  }

  finish(): boolean {
    const { c } = this;
    for (;;) {
      const done = Atomics.load(c, DONE);
      if (done === this.seq) {
        this.calls++;
        return c[STATUS] === 1;
      }
      Atomics.wait(c, DONE, done);
    }
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
 * The helper thread for `heap`'s SIMD module once it is ready, else undefined (not started yet,
 * still starting, or impossible here: see {@link SimdHelper}). The first call starts it.
 */
export function simdHelper(heap: WasmHeapBackend): SimdHelper | undefined {
  if (!enabled) return undefined;
  let h = helpers.get(heap.wasm);
  if (h === undefined) {
    h = spawn(heap);
    helpers.set(heap.wasm, h);
  }
  return h?.ready() ? h : undefined;
}
