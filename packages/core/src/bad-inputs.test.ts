import * as core from '@gflow/core';
import { badInputSuite } from './test-utils/bad-inputs.js';

const A = (): number[][] => [
  [2, 1],
  [0.5, 3],
];
const matvec = (v: Float64Array): Float64Array => Float64Array.from([2 * (v[0] as number), v[1] as number]);

badInputSuite('@gflow/core', {
  exports: core,
  allow: {
    // error classes and the message formatter accept any value by design
    GflowError: 'constructor: any message is valid',
    InvalidArgumentError: 'constructor: any message is valid',
    ShapeError: 'constructor: any message is valid',
    NonFiniteError: 'constructor: any message is valid',
    BackendUnavailableError: 'constructor: any message is valid',
    ConvergenceError: 'constructor: any message is valid',
    UnsupportedError: 'constructor: any message is valid',
    GflowIOError: 'constructor: any message is valid',
    describeValue: 'formats any value',
  },
  // setAllocationLimit changes a global: put the default back after every call
  afterCall: () => {
    core.setAllocationLimit(core.DEFAULT_ALLOCATION_LIMIT);
  },
  // valid calls, each probed one argument and one option at a time
  seeds: {
    activation: () => ['leakyRelu', { alpha: 0.1 }],
    activationGain: () => ['leakyRelu', { alpha: 0.1 }],
    attenuation: () => [0.5, 10],
    checkAllocation: () => ['f', 'values', 10, 4],
    clippedStep: () => [[3, 4], 1],
    conditionNumber: () => [A()],
    criticalLine: () => ['tanh', [0, 0.05]],
    criticalWeightVariance: () => ['tanh', 0.05],
    effectiveHorizon: () => [0.9, 1e-3],
    effectivePathContribution: () => [10, 0.5, {}],
    eigenvalues: () => [A()],
    expectedDerivative: () => ['tanh', core.normal(0, 1)],
    expectedSquaredDerivative: () => ['tanh', core.uniform(-1, 1)],
    frobeniusNorm: () => [A()],
    gaussHermiteRule: () => [5],
    gaussLegendreRule: () => [5],
    gaussQuadrature: () => [[1, 2], [0.5]],
    heVariance: () => [3, 'relu'],
    initializationAdvice: () => ['tanh', 10, { biasVariance: 0.05, fanIn: 16 }],
    instabilityHorizon: () => [1.1, 1],
    jacobianProductNorms: () => [[A(), A()], {}],
    lanczos: () => [matvec, 2, { steps: 2, seed: 1 }],
    lecunVariance: () => [3],
    lyapunovSpectrum: () => [[A(), A(), A()], { k: 2 }],
    maxLyapunovExponent: () => [[A(), A(), A()], {}],
    meanField: () => ['tanh', { weightVariance: 1.5, biasVariance: 0.05 }],
    memorySpan: () => [0.9],
    normal: () => [0, 1],
    nuclearNorm: () => [A()],
    orthogonalMatrix: () => [3, { gain: 1, seed: 1 }],
    pathCounts: () => [5],
    pathFraction: () => [5, 1, 3],
    pathLengthDistribution: () => [5, 0.5],
    plainUpperBound: () => [2, 10],
    powerIteration: () => [matvec, 2, { tol: 1e-8, maxIter: 100, seed: 1 }],
    residualLowerBound: () => [0.5, 10],
    samples: () => [[0.1, -0.3, 2]],
    setAllocationLimit: () => [1000],
    singularValueDecomposition: () => [A()],
    singularValues: () => [A()],
    spectralNorm: () => [A(), { method: 'power', tol: 1e-6, maxIter: 100 }],
    spectralNormalize: () => [A(), {}],
    spectralRadius: () => [A()],
    stableRank: () => [A(), {}],
    uniform: () => [-1, 1],
    xavierVariance: () => [3, 4],
  },
});
