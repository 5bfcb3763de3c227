/**
 * `@gflow/landscape`: loss surfaces and curvature of TensorFlow.js models — filter-normalized
 * directions, 1-D and 2-D loss surfaces, linear interpolation, Hessian-vector products, Hessian
 * eigenvalues, trace and spectral density. Every result is plain JSON-serializable data.
 *
 * @packageDocumentation
 */

export type {
  EigenStopReason,
  HessianEigenvaluesOptions,
  HessianEigenvaluesResult,
} from './hessian-eigenvalues.js';
export { hessianEigenvalues, hessianEigenvaluesAsync } from './hessian-eigenvalues.js';
export type {
  HessianSpectralDensityOptions,
  HessianSpectralDensityResult,
  QuadratureRun,
} from './hessian-spectral-density.js';
export { hessianSpectralDensity } from './hessian-spectral-density.js';
export type { HessianTraceOptions, HessianTraceResult, TraceSketch } from './hessian-trace.js';
export { hessianTrace } from './hessian-trace.js';
export type { HessianVectorProductResult } from './hessian-vector-product.js';
export { hessianVectorProduct } from './hessian-vector-product.js';
export type { EndpointLike, InterpolateOptions, InterpolateResult } from './interpolate.js';
export { interpolate } from './interpolate.js';
export type { LossLineOptions, LossLineResult } from './loss-line.js';
export { lossLine, lossLineAsync } from './loss-line.js';
export type { LossPlaneOptions, LossPlaneResult } from './loss-plane.js';
export { lossPlane } from './loss-plane.js';
export type { PcaDirectionsResult, SnapshotLike } from './pca-directions.js';
export { pcaDirections } from './pca-directions.js';
export type { DirectionNormalization, RandomDirectionOptions } from './random-direction.js';
export { randomDirection, randomDirectionAsync } from './random-direction.js';
export type { SecondOrderProbe, SecondOrderReport } from './second-order-check.js';
export { checkSecondOrderGradients } from './second-order-check.js';
export { snapshotParameters } from './snapshot-parameters.js';
export type {
  BatchedObjective,
  HvpMode,
  HvpOptions,
  LossFn,
  NonFinitePoint,
  Objective,
  ParameterValue,
  ParameterVector,
  ParamsLike,
  Progress,
  VectorLike,
  VectorPart,
} from './types.js';
