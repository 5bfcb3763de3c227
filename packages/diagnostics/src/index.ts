/**
 * `@gflow/diagnostics`: see the gradients flow, and keep training alive.
 *
 * Taps (gradient hooks), one-shot flow measurement with a diagnosis, a training monitor, health
 * checks, composable gradient transforms, an optimizer wrapper for `model.fit`, a guard that
 * recovers from NaN, and loggers.
 *
 * @packageDocumentation
 */

export type { Finding, FindingKind, Severity } from './finding.js';
export type {
  GradientMonitorOptions,
  HistogramOptions,
  MonitorInput,
  MonitorSpectraOptions,
} from './gradient-monitor.js';
export { GradientMonitor } from './gradient-monitor.js';
export type {
  ActivationStats,
  GradientTapeOptions,
  GradientTapeResult,
  TapeResult,
  TapMode,
  TapStat,
} from './gradient-tape.js';
export { gradientTape } from './gradient-tape.js';
export type { HealthThresholds, ResolvedThresholds } from './health.js';
export { checkHealth, defaultThresholds } from './health.js';
export type { InstrumentOptions, NamedTensor } from './instrument.js';
export { InstrumentedOptimizer, instrument } from './instrument.js';
export type { TensorSpec } from './internal/validate.js';
export { flowReportToJSON, nonFiniteReplacer, nonFiniteReviver, parseFlowReport } from './json.js';
export type { DashboardLogger, DashboardLoggerOptions } from './loggers/dashboard-logger.js';
export { dashboardLogger } from './loggers/dashboard-logger.js';
export type { JsonLinesLoggerOptions } from './loggers/json-lines-logger.js';
export { jsonLinesLogger } from './loggers/json-lines-logger.js';
export type { StepLogger } from './loggers/step-logger.js';
export type { TensorBoardLogger, TensorBoardLoggerOptions } from './loggers/tensorboard-logger.js';
export { tensorBoardLogger } from './loggers/tensorboard-logger.js';
export type { TfvisLike, TfvisLoggerOptions, TfvisVisor } from './loggers/tfvis-logger.js';
export { tfvisLogger } from './loggers/tfvis-logger.js';
export type {
  FlowParameter,
  FlowReport,
  FlowTap,
  MeasureGradientFlowOptions,
  MeasureGradientFlowSettings,
} from './measure-gradient-flow.js';
export {
  flowReportSchemaVersion,
  measureGradientFlow,
  measureGradientFlowAsync,
  NO_GRADIENT_REASON,
} from './measure-gradient-flow.js';
export type {
  EffectiveLearningSignal,
  EffectiveLearningSignalOptions,
  LagSignal,
} from './measures/effective-learning-signal.js';
export { effectiveLearningSignal } from './measures/effective-learning-signal.js';
export type {
  GradientEntropy,
  GradientEntropyReport,
  MeasureGradientEntropyOptions,
  NamedGradientEntropy,
} from './measures/gradient-entropy.js';
export { gradientEntropy, measureGradientEntropy } from './measures/gradient-entropy.js';
export type {
  GradientPredictiveness,
  ParameterSnapshot,
  PredictivenessStep,
} from './measures/gradient-predictiveness.js';
export {
  gradientPredictiveness,
  linearPrediction,
  snapshotParameters,
} from './measures/gradient-predictiveness.js';
export type {
  LayerMutualInformationOptions,
  MutualInformationEstimate,
  MutualInformationOptions,
  NamedMutualInformation,
} from './measures/mutual-information.js';
export {
  digamma,
  gradientMutualInformation,
  MAX_MI_SAMPLES,
  mutualInformation,
  mutualInformationDecay,
} from './measures/mutual-information.js';
export type { SpectrumRecord, SpectrumTrackerOptions, WeightSpectrum } from './measures/weight-spectrum.js';
export { MAX_SPECTRUM_SIZE, SpectrumTracker, weightSpectrum } from './measures/weight-spectrum.js';
export { frobeniusPenalty } from './penalties/frobenius-penalty.js';
export type { PenaltyOptions } from './penalties/nuclear-norm-penalty.js';
export { nuclearNormPenalty } from './penalties/nuclear-norm-penalty.js';
export type { SpectralPenaltyOptions } from './penalties/spectral-penalty.js';
export { spectralPenalty } from './penalties/spectral-penalty.js';
export type { ExponentialDecayOptions } from './schedules/exponential-decay.js';
export { exponentialDecay } from './schedules/exponential-decay.js';
export { joinSchedules } from './schedules/join-schedules.js';
export { piecewiseConstant } from './schedules/piecewise-constant.js';
export type { Schedule } from './schedules/schedule.js';
export { constantSchedule } from './schedules/schedule.js';
export type { WarmupOptions } from './schedules/warmup-cosine.js';
export { warmupCosine } from './schedules/warmup-cosine.js';
export { warmupLinear } from './schedules/warmup-linear.js';
export type {
  DistributionStats,
  GradientHistogram,
  GuardNote,
  ParameterRecord,
  StepRecord,
  TapNorm,
} from './step-record.js';
export type { CaGradOptions } from './surgery/ca-grad.js';
export { caGrad } from './surgery/ca-grad.js';
export type { PcGradOptions } from './surgery/pc-grad.js';
export { pcGrad } from './surgery/pc-grad.js';
export { tensorNorms } from './tensor-norms.js';
export type { TrainState, TrainStateOptions } from './train-state.js';
export { createTrainState, disposeTrainState } from './train-state.js';
export type { Batch, LossSpec, StepOutcome, TrainStepOptions, TrainStepResult } from './train-step.js';
export { trainStep, trainStepAsync } from './train-step.js';
export type {
  GuardAction,
  GuardChange,
  GuardEvent,
  GuardReason,
  GuardRollback,
  GuardVerdict,
  TrainingGuardOptions,
} from './training-guard.js';
export { TrainingGuard } from './training-guard.js';
export type { AdaptiveGradientClipState } from './transforms/adaptive-gradient-clip.js';
export { adaptiveGradientClip } from './transforms/adaptive-gradient-clip.js';
export type { AutoClipState } from './transforms/auto-clip.js';
export { autoClip } from './transforms/auto-clip.js';
export type { ClipByGlobalNormState } from './transforms/clip-by-global-norm.js';
export { clipByGlobalNorm } from './transforms/clip-by-global-norm.js';
export type { ClipByNormState } from './transforms/clip-by-norm.js';
export { clipByNorm } from './transforms/clip-by-norm.js';
export type { ClipByValueState } from './transforms/clip-by-value.js';
export { clipByValue } from './transforms/clip-by-value.js';
export type { EmaClipState } from './transforms/ema-clip.js';
export { emaClip } from './transforms/ema-clip.js';
export type { GradientAwareLearningRateState } from './transforms/gradient-aware-learning-rate.js';
export { gradientAwareLearningRate } from './transforms/gradient-aware-learning-rate.js';
export type { ScaleByScheduleState } from './transforms/scale-by-schedule.js';
export { scaleBySchedule } from './transforms/scale-by-schedule.js';
export type {
  ParameterTransform,
  ParameterTransformResult,
  SpectralNormalizationOptions,
  SpectralNormalizationState,
} from './transforms/spectral-normalization.js';
export { spectralNormalization } from './transforms/spectral-normalization.js';
export type {
  ChainState,
  GradientTransform,
  NamedTensors,
  TransformResult,
} from './transforms/transform.js';
export { chain, readInfo } from './transforms/transform.js';
export { type ZClipOptions, type ZClipState, type ZClipStats, zClip } from './transforms/z-clip.js';
export type { ValueHistogram } from './value-histogram.js';
export { tensorflowBucketLimits, valueHistogram } from './value-histogram.js';
export type { WatchFlowOptions } from './watch-flow.js';
export { WatchFlowCallback, watchFlow } from './watch-flow.js';
