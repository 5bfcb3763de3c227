/**
 * `@gflow/models/node`: saving and loading tfjs LayersModels on the local file system under Node,
 * without `@tensorflow/tfjs-node`. Node-only (it imports `node:fs`), so it lives in its own entry
 * point and browser bundles of `@gflow/models` never reach it.
 *
 * @packageDocumentation
 */

export { fileSystem, loadModelFromFile, resolveWeightPath, WEIGHTS_FILE } from './file-system.js';
