/**
 * `@gflow/backend`: chooses and prepares the TensorFlow.js engine, registers gradients with
 * correct second derivatives, fills the kernels wasm lacks, and exports losses whose Hessians are
 * right.
 *
 * @packageDocumentation
 */

import { setHost } from './internal/host.js';
import { nodeHost } from './internal/node-host.js';

// Installed here, by name, rather than by a bare import: a bundler that maps this package to its
// sources may not apply the `sideEffects` list to them, and would drop a bare import.
setHost(nodeHost);

export type { BackendInfo, BackendName, InitBackendOptions, TriedBackend } from './init-backend.js';
export { availableBackends, backendInfo, initBackend } from './init-backend.js';
export { meanSquaredError } from './mean-squared-error.js';
export { sigmoidCrossEntropy } from './sigmoid-cross-entropy.js';
export { softmaxCrossEntropy } from './softmax-cross-entropy.js';
