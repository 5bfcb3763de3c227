/**
 * The tfjs engines gflow knows, fastest first: the order `@gflow/backend`'s `initBackend` tries in
 * auto mode, and the choices of the demo's `--engine`. `@gflow/backend`'s public `BackendName`
 * spells the same names out for its documentation and is checked against this list at compile
 * time.
 */
export const ENGINE_NAMES = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;

/** One of {@link ENGINE_NAMES}. */
export type EngineName = (typeof ENGINE_NAMES)[number];
