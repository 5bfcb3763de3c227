/**
 * `@gflow/backend` in a browser (the `browser` export condition): chooses and prepares the TensorFlow.js engine, registers gradients with
 * correct second derivatives, fills the kernels wasm lacks, and exports losses whose Hessians are
 * right.
 *
 * @packageDocumentation
 */

import { browserHost, setHost } from './internal/host.js';

// Installed here, by name (see index.ts).
setHost(browserHost);

export type { BackendInfo, BackendName, InitBackendOptions, TriedBackend } from './init-backend.js';
export { availableBackends, backendInfo, initBackend } from './init-backend.js';
export { meanSquaredError } from './mean-squared-error.js';
export { sigmoidCrossEntropy } from './sigmoid-cross-entropy.js';
export { softmaxCrossEntropy } from './softmax-cross-entropy.js';
