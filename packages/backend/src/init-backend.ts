import { describeValue, InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { type EngineName, makeLoaders } from './internal/engine-loaders.js';
import { probeAvailable, selectBackend } from './internal/select-backend.js';
import { startSimdHelper } from './internal/simd-helper.js';
import { loadFullSimdWasm } from './internal/simd-wasm.js';
import { asWasmHeap } from './internal/wasm-heap-view.js';
import './register-gradients.js';

/**
 * The engines gflow knows, fastest first: `'tensorflow-gpu'` (`@tensorflow/tfjs-node-gpu`, CUDA;
 * Node only), `'tensorflow'` (`@tensorflow/tfjs-node`, libtensorflow on the CPU; Node only),
 * `'webgpu'` (`@tensorflow/tfjs-backend-webgpu`, over Dawn in Node or the browser's WebGPU),
 * `'webgl'` (tfjs's WebGL 2 backend; browser only), `'wasm'` (XNNPACK, the default in Node) and
 * `'cpu'` (plain JavaScript).
 *
 * @example
 * ```ts
 * import { type BackendName, initBackend } from '@gflow/backend';
 * const order: BackendName[] = ['webgpu', 'wasm'];
 * await initBackend({ prefer: order });
 * ```
 */
export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';

// The union above is spelled out for the documentation; it must name exactly the shared list
// (@gflow/core's engine names) plus 'webgl'.
type SameNames<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const backendNamesMatchEngineNames: SameNames<BackendName, EngineName> = true;
void backendNamesMatchEngineNames;

/**
 * One engine that {@link initBackend} tried, and why it did or did not start.
 *
 * @example
 * ```ts
 * import { initBackend } from '@gflow/backend';
 * const { tried } = await initBackend();
 * for (const t of tried) if (!t.ok) console.log(`${t.name} skipped: ${t.reason}`);
 * ```
 */
export interface TriedBackend {
  /** The engine. */
  readonly name: BackendName;
  /** Whether it started. */
  readonly ok: boolean;
  /** How it started, or why it did not and what to do about it. */
  readonly reason: string;
}

/**
 * What {@link initBackend} chose and why.
 *
 * @example
 * ```ts
 * import { initBackend } from '@gflow/backend';
 * const info = await initBackend();
 * // { name: 'wasm', accelerated: false, simd: true, threads: 1,
 * //   fills: ['grad:Conv2DBackpropFilter', …, 'kernel:Conv2DBackpropFilter', …], tried: [...] }
 * console.log(JSON.stringify(info, null, 2));
 * ```
 */
export interface BackendInfo {
  /** The engine in use. */
  readonly name: BackendName;
  /** Whether it runs on a GPU or a native library rather than JavaScript or wasm. */
  readonly accelerated: boolean;
  /** Whether wasm SIMD is in use (wasm only; `false` elsewhere). */
  readonly simd: boolean;
  /**
   * Host threads the engine computes with, as the engine reports them (wasm: its XNNPACK pool,
   * 1 unless `threads` asked for more; libtensorflow: the core count).
   */
  readonly threads: number;
  /** The device, where the engine names one (a GPU adapter, CUDA). */
  readonly device?: string;
  /**
   * What gflow registered: `grad:<Kernel>` for each corrected or added gradient (every engine) and
   * `kernel:<Kernel>` for each kernel fill of the chosen engine; on wasm also `backend:readSync`
   * (the engine's read-back, copying 4-byte elements instead of bytes).
   */
  readonly fills: readonly string[];
  /** Every engine tried, in order. */
  readonly tried: readonly TriedBackend[];
}

/**
 * Options of {@link initBackend}.
 *
 * @example
 * ```ts
 * import { initBackend } from '@gflow/backend';
 * await initBackend({ prefer: 'cpu' }); // exactly cpu, or throw
 * await initBackend({ prefer: 'auto' }); // the fastest that starts
 * // wasm with 4 XNNPACK threads (on an idle machine with big convolutions):
 * const { threads } = await initBackend({ prefer: 'wasm', threads: 4 }); // threads === 4
 * ```
 */
export interface InitBackendOptions {
  /**
   * An engine, an ordered list of engines (the first that starts wins), or `'auto'` (the default:
   * in Node tensorflow-gpu, tensorflow, webgpu, wasm, cpu; in a browser webgpu, webgl, wasm, cpu).
   */
  readonly prefer?: BackendName | 'auto' | readonly BackendName[];
  /**
   * Threads for the wasm engine's XNNPACK pool under Node: an integer in [1, 8], or `'auto'` =
   * min(`os.availableParallelism()`, 8). Default 1 (single-threaded).
   *
   * Threads use tfjs-backend-wasm's threaded SIMD build, which tfjs never uses under Node (tfjs
   * issue 3830); gflow starts it (see the package README). They help big convolutions and
   * matmuls on an otherwise idle machine (two threads nearly halve a big convolution or matmul
   * on two cores; the repository's BENCHMARKS.md has the measurements). They hurt on an
   * oversubscribed machine (one descheduled thread stalls the others at every barrier) and on
   * workloads of many small ops (each op wakes the pool), and every start creates 8 pool
   * workers: hence the default 1, which is right for parallel test runs and shared machines; ask
   * for `'auto'` on a machine the computation has to itself. The pool size is fixed when the wasm
   * engine first starts in a process: a later call cannot change it (`BackendInfo.threads`
   * reports what the engine really uses). With two or more, under Node, gflow also starts one
   * worker of its own that shares its largest wasm SIMD products with the kernels (the fused tanh
   * RNN's ∂L/∂w, x·W with a fresh W), and `initBackend` resolves once it is ready (about 40 ms);
   * it sleeps between calls and does not keep the process alive. No effect on other engines. In a
   * browser the number is passed to tfjs-wasm's `setThreadsCount`, and tfjs uses its threaded
   * build only in a cross-origin-isolated page.
   */
  readonly threads?: number | 'auto';
}

let current: BackendInfo | undefined;

/**
 * Chooses and starts a TensorFlow.js engine, the only place in gflow that calls `tf.setBackend`.
 *
 * Optional engines are imported only when tried. Gradients with correct second derivatives are
 * registered on every engine (they already are once `@gflow/backend` is imported); kernel fills
 * are registered for wasm (and the cpu backend's fast `Conv2DBackpropFilter`). Calling it again
 * switches engines; tensors made before move to the new engine when next used.
 *
 * In a browser (the package's `browser` export condition) `'auto'` tries webgpu, webgl, wasm and
 * cpu; webgpu needs the page to import `@tensorflow/tfjs-backend-webgpu` itself, and wasm needs
 * its `.wasm` files served (tfjs-wasm's `setWasmPaths`); every skipped engine says why in `tried`.
 *
 * @param options - Which engines to try, see {@link InitBackendOptions}.
 * @returns What was chosen, what was registered, and every engine tried with its reason.
 * @throws BackendUnavailableError (from `@gflow/core`) when no engine named in `prefer` can start
 * (never for `'auto'` while the cpu backend exists); the message says why for each, the exact
 * install or repair command, and what is available.
 * @throws InvalidArgumentError (from `@gflow/core`) when `options` is not an object, `prefer` names
 * no known engine, or `threads` is neither `'auto'` nor an integer in [1, 8].
 * @example
 * ```ts
 * import { initBackend } from '@gflow/backend';
 * const info = await initBackend(); // here: wasm, SIMD, with fills
 * console.log(info.name, info.fills.length, info.tried.map((t) => `${t.name}: ${t.reason}`));
 * await initBackend({ prefer: ['webgpu', 'wasm'] }); // the first that starts
 * ```
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`initBackend: options must be an object, got ${describeValue(options)}`);
  }
  current = await selectBackend(options.prefer, makeLoaders(), undefined, options.threads);
  // A browser's main thread compiles only the small SIMD module synchronously; load the full one
  // (with the Winograd convolutions) now, asynchronously.
  if (current.name === 'wasm') await loadFullSimdWasm(asWasmHeap(tf.backend()));
  // The threaded engine shares its largest products with gflow's helper thread: start it now
  // rather than inside the first kernel that would use it.
  if (current.name === 'wasm' && current.threads >= 2) await startSimdHelper(asWasmHeap(tf.backend()));
  return current;
}

/**
 * The engine chosen by the last {@link initBackend}, or `undefined` before the first call.
 *
 * @returns The last `BackendInfo`, or `undefined`.
 * @example
 * ```ts
 * import { backendInfo, initBackend } from '@gflow/backend';
 * await initBackend();
 * backendInfo()?.name; // 'wasm'
 * ```
 */
export function backendInfo(): BackendInfo | undefined {
  return current;
}

/**
 * The engines that could start here, fastest first, found by running each engine's loader
 * (imports the optional packages that are installed and asks for a GPU adapter; switches nothing).
 *
 * @returns Engine names, e.g. `['wasm', 'cpu']` on a machine with no optional engine.
 * @example
 * ```ts
 * import { availableBackends } from '@gflow/backend';
 * console.log(await availableBackends()); // [ 'wasm', 'cpu' ]
 * ```
 */
export async function availableBackends(): Promise<BackendName[]> {
  return probeAvailable(makeLoaders());
}
