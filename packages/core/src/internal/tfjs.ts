/**
 * Every tfjs engine internal that gflow reaches, in one place (`@gflow/core/internal/tfjs`).
 *
 * tfjs documents none of these: the engine's tape state (`state.activeTape`,
 * `state.gradientDepth`), its variable table (`registeredVariables`), its backend table
 * (`registry`), its backward-save mode (`saveTensorsForBackwardMode`), the handle-on-existing-data
 * pair `makeTensorFromDataId` + `backend.incRef`, an optimizer's step counter `iterations_`, and
 * the wasm backend's data map and heap (`dataIdMap`, `wasm.HEAPU8`) for a zero-copy read.
 * A tfjs upgrade can change any of them, so this module checks the tfjs version when it loads and
 * throws an `UnsupportedError` naming the versions it knows; after an upgrade, check each function
 * here against the new tfjs-core, then add the version to {@link KNOWN_TFJS_VERSIONS}.
 * `docs/architecture.md` lists these internals and the wasm backend's (in `@gflow/backend`).
 *
 * This entry is for gflow's own packages; it is not part of the public API.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { UnsupportedError } from '../errors.js';

/** The tfjs-core `major.minor` versions whose internals this module was checked against. */
export const KNOWN_TFJS_VERSIONS: readonly string[] = ['4.22'];

/**
 * Throws unless `version` (tfjs-core's, by default the loaded one) is a known `major.minor`.
 *
 * @param version - A semver string such as `'4.22.0'`.
 * @throws UnsupportedError when its `major.minor` is not in {@link KNOWN_TFJS_VERSIONS}.
 */
export function checkTfjsVersion(version: string = tf.version_core): void {
  const majorMinor = /^(\d+)\.(\d+)(?:\.|$)/.exec(String(version));
  if (majorMinor && KNOWN_TFJS_VERSIONS.includes(`${majorMinor[1]}.${majorMinor[2]}`)) return;
  const known = KNOWN_TFJS_VERSIONS.map((v) => `${v}.x`).join(', ');
  throw new UnsupportedError(
    `checkTfjsVersion: version is ${JSON.stringify(version)}, but gflow reaches tfjs engine internals checked only against tfjs-core ${known}; install @tensorflow/tfjs ${known} (e.g. npm install @tensorflow/tfjs@${KNOWN_TFJS_VERSIONS[KNOWN_TFJS_VERSIONS.length - 1]})`,
  );
}

checkTfjsVersion();

/** The part of the engine's state read and written here (tfjs-core 4.22 `EngineState`). */
interface EngineState {
  gradientDepth?: unknown;
  activeTape?: { saved?: tf.Tensor[] }[] | null;
}

/** The engine's undocumented members used here. */
interface EngineInternals {
  readonly state?: EngineState;
  readonly registry: Record<string, unknown>;
  readonly registeredVariables: Record<string, tf.Variable | undefined>;
  readonly saveTensorsForBackwardMode?: unknown;
  readonly backend: tf.KernelBackend;
}

function engine(): EngineInternals {
  return tf.engine() as unknown as EngineInternals;
}

/**
 * Whether the backward pass now running is itself being recorded (a gradient of a gradient, e.g.
 * a Hessian-vector product). tfjs records ops while `state.gradientDepth > 0`; an engine whose
 * state is not the one this reads counts as recording, the safe answer for a caller choosing the
 * differentiable path.
 */
export function backwardIsRecorded(): boolean {
  const depth = engine().state?.gradientDepth;
  return !(typeof depth === 'number' && depth === 0);
}

/**
 * Frees what tfjs leaves behind when backpropagation throws (a missing gradient, a disconnected
 * graph): the engine keeps the saved tensors of the failed tape (`state.activeTape`) and frees
 * them only after a successful backward pass. Call it after catching such an error, outside any
 * gradient; it does nothing when the state is not the shape it knows.
 */
export function releaseFailedTape(): void {
  const state = engine().state;
  if (state === undefined || state.gradientDepth !== 0 || !Array.isArray(state.activeTape)) return;
  for (const node of state.activeTape) {
    for (const t of node.saved ?? []) {
      if (t instanceof tf.Tensor && !t.isDisposed) t.dispose();
    }
  }
  state.activeTape = null;
}

/** The variable registered under `name` in the engine (`registeredVariables`), if any. */
export function registeredVariable(name: string): tf.Variable | undefined {
  return engine().registeredVariables[name];
}

/** Whether tfjs has already initialized the backend named `name` in this process (`registry`). */
export function backendInitialized(name: string): boolean {
  return engine().registry[name] !== undefined;
}

/**
 * A value that changes when the engine's backward-save mode changes
 * (`saveTensorsForBackwardMode`), for caches of how the engine differentiates.
 */
export function backwardSaveMode(): unknown {
  return engine().saveTensorsForBackwardMode;
}

/**
 * A second handle on the same data as `t`, without copying it (`makeTensorFromDataId` plus the
 * backend's `incRef`, as the backends' own Reshape and Identity kernels do: the engine counts
 * handles, the backend counts references to the buffer). tfjs tensors are immutable and
 * `Variable.assign` swaps the variable's data, so an alias of a variable keeps the value it had
 * when the alias was made. The alias is the caller's to dispose.
 */
export function aliasTensor(t: tf.Tensor): tf.Tensor {
  const e = tf.engine();
  const out = e.makeTensorFromDataId(t.dataId, t.shape.slice(), t.dtype);
  (e.backend as unknown as { incRef(dataId: tf.DataId): void }).incRef(t.dataId);
  return out;
}

/** Sets an optimizer's step counter (`iterations_`, which `tf.Optimizer.iterations` reads). */
export function setOptimizerIterations(opt: tf.Optimizer, iterations: number): void {
  (opt as unknown as { iterations_: number }).iterations_ = iterations;
}

/** The parts of tfjs-backend-wasm 4.22's `BackendWasm` that {@link hostFloat32View} reads. */
interface WasmHeapInternals {
  readonly dataIdMap?: { get(id: object): { memoryOffset?: number; dtype?: string } | undefined };
  readonly wasm?: { readonly HEAPU8?: Uint8Array };
}

/**
 * A float32 tensor's values as a view of the wasm engine's heap (no copy, no allocation), or
 * `undefined` on any other engine, for another dtype, or when the backend is not the shape this
 * knows (then read with `dataSync`). The view is valid only until the next tfjs call: read it at
 * once and never keep it. On the threaded wasm build the heap is a SharedArrayBuffer; a
 * `dataSync` there allocates and copies the whole tensor, which for a training step's gradients
 * cost more than the loop that reads them (BENCHMARKS.md, mlp-train-50).
 */
export function hostFloat32View(t: tf.Tensor): Float32Array | undefined {
  if (t.dtype !== 'float32' || tf.getBackend() !== 'wasm') return undefined;
  const backend = engine().backend as unknown as WasmHeapInternals;
  const data = backend.dataIdMap?.get(t.dataId as object);
  const heap = backend.wasm?.HEAPU8;
  const at = data?.memoryOffset;
  if (heap === undefined || typeof at !== 'number' || at % 4 !== 0 || data?.dtype !== 'float32')
    return undefined;
  return new Float32Array(heap.buffer, at, t.size);
}
