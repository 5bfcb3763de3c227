/**
 * `@gflow/backend`: chooses and prepares the TensorFlow.js engine.
 *
 * This is a first, minimal version (wasm and cpu only); the full adapter arrives with issue 2.
 *
 * @packageDocumentation
 */

export type { BackendInfo, BackendName, InitBackendOptions, TriedBackend } from './init-backend.js';
export { backendInfo, initBackend } from './init-backend.js';
