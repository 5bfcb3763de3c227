/**
 * `@gflow/core`: the mathematics of gradient flow, in float64, with no tensors.
 *
 * @packageDocumentation
 */

export type { GflowErrorCode, GflowErrorOptions } from './errors.js';
export {
  BackendUnavailableError,
  ConvergenceError,
  describeValue,
  GflowError,
  GflowIOError,
  InvalidArgumentError,
  NonFiniteError,
  ShapeError,
  UnsupportedError,
} from './errors.js';
