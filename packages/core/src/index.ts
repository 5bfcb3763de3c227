/**
 * `@gflow/core`: the mathematics of gradient flow, in float64, with no tensors.
 *
 * @packageDocumentation
 */

export type { Activation, ActivationInput, ActivationName, ActivationOptions } from './activations.js';
export { activation, activationNames } from './activations.js';
export {
  allocationLimit,
  checkAllocation,
  DEFAULT_ALLOCATION_LIMIT,
  setAllocationLimit,
} from './allocation-limit.js';
export type { LogValue } from './bounds.js';
export { attenuation, clippedStep, plainUpperBound, residualLowerBound } from './bounds.js';
export type { Eigenvalues } from './eigenvalues.js';
export { eigenvalues, spectralRadius } from './eigenvalues.js';
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
export type {
  Distribution,
  NormalDistribution,
  SampleDistribution,
  UniformDistribution,
} from './expectations.js';
export { expectedDerivative, expectedSquaredDerivative, normal, samples, uniform } from './expectations.js';
export type { GaussQuadratureResult } from './gauss-quadrature.js';
export { gaussQuadrature } from './gauss-quadrature.js';
export type { QuadratureRule } from './gauss-rules.js';
export { gaussHermiteRule, gaussLegendreRule } from './gauss-rules.js';
export { effectiveHorizon, FLOAT32_MAX, instabilityHorizon, memorySpan } from './horizons.js';
export type { OrthogonalMatrixOptions } from './initialization.js';
export {
  activationGain,
  heVariance,
  lecunVariance,
  orthogonalMatrix,
  xavierVariance,
} from './initialization.js';
export type { JacobianProductNorms, JacobianProductNormsOptions } from './jacobian-products.js';
export { jacobianProductNorms } from './jacobian-products.js';
export type { LanczosOptions, LanczosResult } from './lanczos.js';
export { lanczos } from './lanczos.js';
export type { JacobianSequence, LyapunovOptions, LyapunovRegime, LyapunovSpectrum } from './lyapunov.js';
export { lyapunovSpectrum, maxLyapunovExponent } from './lyapunov.js';
export type { DenseMatrix, MatrixLike, Matvec, TypedMatrix } from './matrix-like.js';
export type {
  CriticalPoint,
  InitializationAdvice,
  InitializationAdviceOptions,
  MeanFieldOptions,
  MeanFieldPhase,
  MeanFieldResult,
} from './mean-field.js';
export { criticalLine, criticalWeightVariance, initializationAdvice, meanField } from './mean-field.js';
export type {
  EffectivePathContribution,
  EffectivePathOptions,
  PathLengthDistribution,
  PathRange,
} from './paths.js';
export { effectivePathContribution, pathCounts, pathFraction, pathLengthDistribution } from './paths.js';
export type { PowerIterationOptions, PowerIterationResult } from './power-iteration.js';
export { powerIteration } from './power-iteration.js';
export type { SingularValueDecompositionResult } from './singular-value-decomposition.js';
export { singularValueDecomposition } from './singular-value-decomposition.js';
export { conditionNumber, nuclearNorm, singularValues } from './singular-values.js';
export type { SpectralNormalizeOptions, SpectralNormOptions } from './spectral-norm.js';
export { frobeniusNorm, spectralNorm, spectralNormalize, stableRank } from './spectral-norm.js';
