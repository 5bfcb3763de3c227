/**
 * The tfjs engines gflow knows, fastest first: the order `@gflow/backend`'s `initBackend` tries in
 * auto mode, and the choices of the demo's `--engine`. `@gflow/backend`'s public `BackendName`
 * spells the same names out for its documentation and is checked against this list at compile
 * time.
 */
export const ENGINE_NAMES = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;

/** One of {@link ENGINE_NAMES}. */
export type EngineName = (typeof ENGINE_NAMES)[number];

/**
 * The tfjs engines whose tensors live in host memory, where a synchronous read costs a copy at
 * most (`cpu`, `wasm`, `tensorflow`, the name tfjs-node's engines register under); on webgpu and
 * webgl a synchronous read of a tensor held only on the GPU stalls the page, and on webgpu goes
 * through a canvas.
 */
export const HOST_MEMORY_ENGINES: ReadonlySet<string> = new Set(['cpu', 'wasm', 'tensorflow']);

/**
 * Whether the tfjs backend `backend` keeps its tensors in host memory.
 *
 * @param backend - A tfjs backend name.
 * @returns True for the {@link HOST_MEMORY_ENGINES}.
 */
export function onHostMemoryEngine(backend: string): boolean {
  return HOST_MEMORY_ENGINES.has(backend);
}
