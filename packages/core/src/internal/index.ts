/**
 * `@gflow/core/internal`: the helpers gflow's own packages share (argument checks, the seeded
 * generator, the Haar-orthogonal sampler, the engine names), kept in one place so that no package
 * carries a copy. Not part of the public API: it may change in any release. The tfjs engine
 * internals are a separate entry, `@gflow/core/internal/tfjs`.
 *
 * @module
 */

export { ENGINE_NAMES, type EngineName, HOST_MEMORY_ENGINES, onHostMemoryEngine } from './engines.js';
export {
  GRU_SEQUENCE,
  GRU_SEQUENCE_GRAD,
  LSTM_SEQUENCE,
  LSTM_SEQUENCE_GRAD,
  TANH_RNN_SEQUENCE,
  TANH_RNN_SEQUENCE_GRAD,
} from './fused-kernels.js';
export { haarOrthogonal } from './orthogonal.js';
export {
  HostPrefetch,
  hostReadVariables,
  prefetchReads,
  type Reads,
  runReadsAsync,
  runReadsSync,
} from './reads.js';
export { createRng, deriveSeed, gaussianVector, Rng } from './rng.js';
export { hostScaledPair, SCALE_FLOOR, stepScaledPairs } from './scaled-pair.js';
export {
  checkBoolean,
  checkInRange,
  checkInt,
  checkInteger,
  checkNonNegative,
  checkNumber,
  checkOneOf,
  readOptions,
  requireFinite,
  requireFiniteVector,
  requireInteger,
  requireNonNegative,
  requireOpenUnit,
  requirePositive,
  requireProbability,
} from './validate.js';
