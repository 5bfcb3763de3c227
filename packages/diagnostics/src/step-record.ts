import type { WeightSpectrum } from './measures/weight-spectrum.js';
import type { ParameterStatFields } from './monitor/parameter-stats.js';
import type { ValueHistogram } from './value-histogram.js';

/**
 * One parameter's numbers at one training step. Besides those below, each per-parameter statistic
 * the monitor has on adds its fields (`deadUnitFraction`, `entropy`, `gradMaxAbs`, …).
 */
export interface ParameterRecord extends ParameterStatFields {
  /** The parameter's name. */
  readonly name: string;
  /** ‖∂L/∂θ‖ (Frobenius), or `null` when the parameter got no gradient (disconnected). */
  readonly gradNorm: number | null;
  /**
   * ‖θ‖ at the point the gradient was taken, or `null` when the weights were not given or the
   * monitor's `weightNorms` option turned weight norms off.
   */
  readonly weightNorm: number | null;
  /** ‖∂L/∂θ‖ / ‖θ‖, or `null` when either is missing or the weight norm is 0. */
  readonly ratio: number | null;
  /** ‖Δθ‖ / ‖θ‖ of the update this step made (CS231n's update ratio), or `null` when unknown. */
  readonly updateRatio: number | null;
  /** Mean of the gradient's entries (with the moments option). */
  readonly mean?: number;
  /** Population variance of the gradient's entries. */
  readonly variance?: number;
  /** Skewness m₃/m₂^{3/2} of the gradient's entries. */
  readonly skewness?: number;
  /** Excess kurtosis m₄/m₂² − 3 of the gradient's entries (0 for a Gaussian). */
  readonly kurtosis?: number;
}

/** A histogram of log₁₀|g| over every gradient entry. */
export interface GradientHistogram {
  /** Bin edges in log₁₀|g|, `bins + 1` of them. */
  readonly edges: readonly number[];
  /** Entries per bin. */
  readonly counts: readonly number[];
  /** Entries below the first edge (zeros included). */
  readonly underflow: number;
  /** Entries at or above the last edge. */
  readonly overflow: number;
}

/** Mean, variance, skewness and excess kurtosis of a set of gradient entries. */
export interface DistributionStats {
  /** Mean. */
  readonly mean: number;
  /** Population variance. */
  readonly variance: number;
  /** Skewness m₃/m₂^{3/2}. */
  readonly skewness: number;
  /** Excess kurtosis m₄/m₂² − 3. */
  readonly kurtosis: number;
}

/** The gradient norm at one tap point during a training step. */
export interface TapNorm {
  /** The tap's name. */
  readonly name: string;
  /** ‖∂L/∂h‖, or `null` when no gradient reached it. */
  readonly gradNorm: number | null;
}

/** What a training guard did at a step, as recorded by the monitor. */
export interface GuardNote {
  /** The actions taken, comma-separated (`skip,restore,lower-lr,clip`). */
  readonly action: string;
  /** Why: `non-finite` or `exploding`. */
  readonly reason: string;
}

/** Everything a `GradientMonitor` keeps about one step: plain numbers, JSON-ready. */
export interface StepRecord {
  /** Step number (counted from 1 by the monitor unless given, as every step number in gflow). */
  readonly step: number;
  /** Wall-clock time of the record, milliseconds since the epoch. */
  readonly time: number;
  /** The loss, or `null` when not given. */
  readonly loss: number | null;
  /** ‖g‖ over every parameter together. */
  readonly globalNorm: number;
  /** cos(g_t, g_{t−1}) over every parameter together, `null` on the first step. */
  readonly cosine: number | null;
  /** Mean, variance, skewness and excess kurtosis of every gradient entry together. */
  readonly distribution?: DistributionStats;
  /** A log₁₀|g| histogram (every `histogram.every` steps). */
  readonly histogram?: GradientHistogram;
  /**
   * Gradient signal-to-noise ratio ‖ḡ‖² / tr Σ̂ from micro-batches, when they were given; `null`
   * when every micro-batch gradient is zero (0/0: no signal and no noise to compare).
   */
  readonly snr?: number | null;
  /** Per parameter, in the order of the gradients. */
  readonly parameters: readonly ParameterRecord[];
  /** Gradient norms at the model's tap points, when the step recorded them. */
  readonly taps?: readonly TapNorm[];
  /** Numbers reported by the gradient transforms (`clipByGlobalNorm.norm`, …). */
  readonly info?: Readonly<Record<string, number>>;
  /**
   * Whether the loss, every gradient and every weight were finite (the weights as far as their
   * norms were read: not with the monitor's `weightNorms` option off).
   */
  readonly finite: boolean;
  /** What a TrainingGuard did at this step, if anything. */
  readonly guard?: GuardNote;
  /**
   * Per-parameter histograms of gradients (`gradients/<name>`) and weights (`parameters/<name>`),
   * at the interval `watchFlow`'s `histograms` option sets.
   */
  readonly histograms?: readonly ValueHistogram[];
  /**
   * What made the record: absent for a training step; `'watchFlow'` for a measurement on
   * `watchFlow`'s held batch (then `loss`, `globalNorm`, `parameters` and `taps` are of that batch).
   */
  readonly source?: 'watchFlow';
  /**
   * σ₁ and the spectral radius of the monitor's `spectra` weights, at the steps it records them
   * (every `spectra.every` steps).
   */
  readonly spectra?: readonly WeightSpectrum[];
}
