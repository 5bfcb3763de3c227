/**
 * Threads inside tfjs's wasm engine under Node (tfjs issue 3830), without patching files on disk.
 * Written and measured by the benchmark helper in `bench/src/wasm-threads.ts` (see BENCHMARKS.md,
 * "Threads inside the wasm engine"); moved here so that `initBackend({ threads })` can use it.
 *
 * `@tensorflow/tfjs-backend-wasm` 4.22 ships a threaded SIMD build
 * (`tfjs-backend-wasm-threaded-simd.wasm`, emscripten pthreads + XNNPACK's pthreadpool), but
 * under Node it never uses it, for three separate reasons, each undone here:
 *
 * 1. The flag `WASM_HAS_MULTITHREAD_SUPPORT` returns `false` whenever `IS_NODE`
 *    (flags_wasm.js). We set it to `true`.
 * 2. The emscripten glue starts its pool of 8 pthread workers with
 *    `new Worker(locateFile('...worker.js'))`, and tfjs's `locateFile` answers with a `blob:` URL,
 *    which Node's `Worker` rejects; each worker is then sent `urlOrBlob` = a Blob holding the
 *    bundle's copy of the glue, whose text refers to the bundle's module variables
 *    (`require$$0`, `commonjsGlobal`, `__values`, ...) and cannot run alone. While the backend
 *    starts, we replace `worker_threads.Worker` (the CommonJS export object the glue reads) by a
 *    subclass that starts the worker from the same worker source as an `eval` worker, and that
 *    rewrites the `load` message so that the worker imports the package's own stand-alone glue
 *    (`wasm-out/tfjs-backend-wasm-threaded-simd.js`, the same emscripten build).
 * 3. backend.cc caps the pool at `num_cores = emscripten_num_logical_cores() / 2` (it assumes two
 *    hyper-threads per core), and the glue answers that call with `os.cpus().length`. On a
 *    2-core machine the cap is 1 whatever `setThreadsCount` asks: this, not a race between the
 *    pool and its workers, is why an earlier trial "initialized but reported one thread". While
 *    the backend starts, `os.cpus()` reports `2 × threads` entries so that the cap is `threads`.
 *
 * Both replacements are undone by {@link WasmThreadsSetup.restore}, which the caller runs right
 * after `tf.setBackend('wasm')` resolves (or use {@link withWasmThreads}, which does it).
 *
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { backendInitialized } from '@gflow/core/internal/tfjs';
import * as tf from '@tensorflow/tfjs';

const require = createRequire(import.meta.url);

/** Size of the pthread pool that the tfjs 4.22 wasm glue creates up front (and backend.cc's cap). */
export const maxWasmThreads = 8;

/** What {@link enableWasmThreads} changed, and how to undo it. */
export interface WasmThreadsSetup {
  /** The number of threads asked for. */
  readonly requested: number;
  /** Puts `worker_threads.Worker` and `os.cpus` back; call once `tf.setBackend('wasm')` has resolved. */
  restore(): void;
  /** The number of threads XNNPACK's pool reports once the wasm backend is initialized. */
  actualThreads(): number;
}

interface WasmModuleExports {
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

type WorkerCtor = new (
  filename: string | URL,
  options?: object,
) => {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
};

/**
 * Prepares the threaded SIMD build of tfjs's wasm backend, to be called before
 * `tf.setBackend('wasm')`.
 *
 * @param threads - Threads for XNNPACK's pool, an integer in [1, {@link maxWasmThreads}].
 * @returns A handle whose `restore()` must be called after `tf.setBackend('wasm')` resolves.
 * @throws Error when `threads` is out of range, when the wasm backend has already been
 *   initialized, or when the package's stand-alone threaded glue cannot be found.
 * @example
 * ```ts
 * const setup = await enableWasmThreads(2);
 * try { await tf.setBackend('wasm'); } finally { setup.restore(); }
 * console.log(setup.actualThreads()); // 2
 * ```
 */
export async function enableWasmThreads(threads: number): Promise<WasmThreadsSetup> {
  if (!Number.isInteger(threads) || threads < 1 || threads > maxWasmThreads) {
    throw new Error(
      `enableWasmThreads: threads must be an integer in [1, ${maxWasmThreads}], got ${String(threads)}`,
    );
  }
  const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as unknown as WasmModuleExports;
  if (backendInitialized('wasm')) {
    throw new Error(
      'enableWasmThreads: the wasm backend is already initialized; call this before tf.setBackend("wasm")',
    );
  }
  const bundle = require.resolve('@tensorflow/tfjs-backend-wasm');
  const wasmOut = path.join(path.dirname(bundle), '..', 'wasm-out');
  const gluePath = path.join(wasmOut, 'tfjs-backend-wasm-threaded-simd.js');
  const { wasmWorkerContents } = require(path.join(wasmOut, 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  // tfjs escapes newlines the same way before it makes its Blob: the source holds "\n" inside
  // string literals, which a real newline would break.
  const workerSource = wasmWorkerContents.replace(/\n/g, '\\n');

  const workerThreads = require('node:worker_threads') as { Worker: WorkerCtor };
  const os = require('node:os') as { cpus: () => unknown[] };
  const BaseWorker = workerThreads.Worker;
  const baseCpus = os.cpus;

  class PthreadWorker extends BaseWorker {
    constructor(filename: string | URL, options?: object) {
      if (typeof filename === 'string' && filename.startsWith('blob:')) {
        super(workerSource, { ...options, eval: true });
      } else {
        super(filename, options);
      }
    }
    // The glue ref()s a worker while it runs a pthread, and XNNPACK's pool threads run for the
    // life of the backend, blocked on a futex between jobs: ref'd, they would keep Node from
    // exiting. Work is only ever handed to them by a synchronous call on the main thread.
    ref(): void {
      (this as unknown as { unref(): void }).unref();
    }
    override postMessage(message: unknown, transfer?: readonly unknown[]): void {
      const m = message as { cmd?: unknown; urlOrBlob?: unknown } | null;
      if (m !== null && typeof m === 'object' && m.cmd === 'load' && typeof m.urlOrBlob !== 'string') {
        super.postMessage({ ...m, urlOrBlob: gluePath }, transfer);
        return;
      }
      super.postMessage(message, transfer);
    }
  }

  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  workerThreads.Worker = PthreadWorker;
  os.cpus = () => {
    const real = baseCpus();
    return Array.from({ length: 2 * threads }, (_, i) => real[i % Math.max(real.length, 1)]);
  };
  let restored = false;
  return {
    requested: threads,
    restore() {
      if (restored) return;
      restored = true;
      workerThreads.Worker = BaseWorker;
      os.cpus = baseCpus;
    },
    actualThreads() {
      return wasm.getThreadsCount();
    },
  };
}

/**
 * Runs `start` (which must call `tf.setBackend('wasm')`) with the threaded wasm build prepared,
 * and undoes the preparation afterwards, whether `start` succeeds or not.
 *
 * @param threads - Threads for XNNPACK's pool, an integer in [1, {@link maxWasmThreads}].
 * @param start - Starts the wasm backend.
 * @returns What `start` returned, and the number of threads the pool reports (0 when the wasm
 *   backend did not start).
 * @throws What {@link enableWasmThreads} or `start` throws.
 * @example
 * ```ts
 * const { threads } = await withWasmThreads(2, () => tf.setBackend('wasm'));
 * ```
 */
export async function withWasmThreads<T>(
  threads: number,
  start: () => Promise<T>,
): Promise<{ result: T; threads: number }> {
  const setup = await enableWasmThreads(threads);
  let result: T;
  try {
    result = await start();
  } finally {
    setup.restore();
  }
  let actual = 0;
  try {
    actual = setup.actualThreads();
  } catch {
    actual = 0;
  }
  return { result, threads: actual };
}
