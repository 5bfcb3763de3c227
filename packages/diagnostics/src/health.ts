import { describeValue, InvalidArgumentError } from '@gflow/core';
import type { Finding } from './finding.js';
import { GradientMonitor } from './gradient-monitor.js';
import { checkInteger, checkNonNegative } from './internal/validate.js';
import { diagnoseHistory } from './rules/index.js';
import type { StepRecord } from './step-record.js';

/**
 * Thresholds of {@link checkHealth} (and of the diagnosis in `measureGradientFlow`). Every field
 * is optional; the defaults and where they come from:
 *
 * - `vanishing` = 1e-7: a global norm below float32's machine epsilon (2⁻²³ ≈ 1.19e-7) times
 *   O(1) weights moves nothing once multiplied by a learning rate ≤ 1 (IEEE 754).
 * - `exploding` = 1e3: common clipping thresholds are 0.1–10 (Pascanu et al. 2013 used 1–15);
 *   two orders of magnitude above the largest of them is a blow-up, not noise.
 * - `explodingFactor` = 10: a step whose norm is 10× the previous one's is a spike (the
 *   "cliff" of Pascanu et al. 2013, Fig. 6); AutoClip-style thresholds sit far below that.
 * - `unstableWindow` = 20 steps: unstable when the variance of the global norm over the window
 *   exceeds its squared mean (coefficient of variation > 1).
 * - `updateRatioBand` = [1e-4, 1e-2]: Karpathy's CS231n notes ("Neural Networks Part 3"): the
 *   update/weight ratio should be around 1e-3; a decade below means too low a learning rate,
 *   a decade above too high.
 * - `learningRate` = 1e-3: used only when a record has no measured update ratio, and only when
 *   given explicitly (the default is not used to invent a ratio): the ratio ‖g‖/‖θ‖ times this
 *   rate stands in for it (exact for plain SGD).
 * - `deadUnitFraction` = 0.5: more than half the units of a layer with an all-zero gradient
 *   (dying ReLU; Lu et al. 2019 show whole layers dying in deep narrow nets).
 * - `flowRatio` = 1e-4: the first block's gradient norm below 1e-4 of the last block's is
 *   vanishing, above 1e4 exploding (four orders of magnitude; Glorot & Bengio 2010 report
 *   decade-per-layer decay in deep sigmoid nets).
 */
export interface HealthThresholds {
  /** Global norm below this is vanishing (default 1e-7). */
  readonly vanishing?: number;
  /** Global norm above this is exploding (default 1e3). */
  readonly exploding?: number;
  /** A norm this many times the previous step's is exploding (default 10). */
  readonly explodingFactor?: number;
  /** Window (steps) of the instability test (default 20). */
  readonly unstableWindow?: number;
  /** Healthy band of ‖Δθ‖/‖θ‖ (default [1e-4, 1e-2]). */
  readonly updateRatioBand?: readonly [number, number];
  /** Learning rate turning ‖g‖/‖θ‖ into an update ratio when none was measured (default 1e-3). */
  readonly learningRate?: number;
  /** Fraction of dead units that is reported (default 0.5). */
  readonly deadUnitFraction?: number;
  /** First-to-last gradient ratio below which flow vanishes (and above whose inverse it explodes) (default 1e-4). */
  readonly flowRatio?: number;
}

/** {@link HealthThresholds} with every default filled in. */
export type ResolvedThresholds = {
  readonly [K in keyof HealthThresholds]-?: NonNullable<HealthThresholds[K]>;
};

/**
 * The documented defaults of {@link HealthThresholds} (their sources are listed there).
 *
 * @example
 * ```ts
 * checkHealth(monitor, { ...defaultThresholds, explodingFactor: 5 });
 * ```
 */
export const defaultThresholds: ResolvedThresholds = Object.freeze({
  vanishing: 1e-7,
  exploding: 1e3,
  explodingFactor: 10,
  unstableWindow: 20,
  updateRatioBand: [1e-4, 1e-2] as const,
  learningRate: 1e-3,
  deadUnitFraction: 0.5,
  flowRatio: 1e-4,
});

/** Checks and fills in thresholds (shared with `measureGradientFlow`). */
export function resolveThresholds(fn: string, t: HealthThresholds = {}): ResolvedThresholds {
  if (t === null || typeof t !== 'object') {
    throw new InvalidArgumentError(`${fn}: thresholds must be an object, got ${describeValue(t)}`);
  }
  const r = { ...defaultThresholds, ...t };
  checkNonNegative(fn, 'thresholds.vanishing', r.vanishing);
  checkNonNegative(fn, 'thresholds.exploding', r.exploding, true);
  checkNonNegative(fn, 'thresholds.explodingFactor', r.explodingFactor, true);
  checkInteger(fn, 'thresholds.unstableWindow', r.unstableWindow, 2);
  checkNonNegative(fn, 'thresholds.learningRate', r.learningRate, true);
  checkNonNegative(fn, 'thresholds.deadUnitFraction', r.deadUnitFraction);
  checkNonNegative(fn, 'thresholds.flowRatio', r.flowRatio, true);
  const band = r.updateRatioBand;
  if (!Array.isArray(band) || band.length !== 2) {
    throw new InvalidArgumentError(
      `${fn}: thresholds.updateRatioBand must be [low, high], got ${describeValue(band)}`,
    );
  }
  checkNonNegative(fn, 'thresholds.updateRatioBand[0]', band[0]);
  checkNonNegative(fn, 'thresholds.updateRatioBand[1]', band[1], true);
  if (band[0] > band[1]) {
    throw new InvalidArgumentError(
      `${fn}: thresholds.updateRatioBand must have low ≤ high, got ${describeValue(band)}`,
    );
  }
  if (r.vanishing >= r.exploding) {
    throw new InvalidArgumentError(
      `${fn}: thresholds.vanishing must be below thresholds.exploding (${r.exploding}), got ${r.vanishing}`,
    );
  }
  return r;
}

/**
 * Finds trouble in a training history: vanishing and exploding gradients (absolute, and k times
 * the previous step), unstable norms, non-finite loss, gradients or weights, dead units,
 * disconnected parameters (no gradient, or exactly zero at every step), and update ratios
 * outside the healthy band.
 *
 * Findings are aggregated: one per kind (and parameter), with the first step, the number of
 * steps affected and the worst value as evidence. The rules are the same ones, with the same
 * remedy texts, as those of `measureGradientFlow`'s diagnosis (one file each in `rules/`).
 *
 * @param history - Step records (oldest first), or a {@link GradientMonitor} (its history).
 * @param thresholds - Overrides of {@link defaultThresholds}.
 * @returns The findings, errors first, then warnings, then information.
 * @throws InvalidArgumentError (from `@gflow/core`) for a history that is not an array of records,
 *   or a negative or inconsistent threshold.
 * @example
 * ```ts
 * for (const f of checkHealth(monitor, { explodingFactor: 5 })) console.log(f.severity, f.message);
 * ```
 * @see Pascanu, Mikolov & Bengio 2013; Karpathy, CS231n "Neural Networks Part 3"; Glorot &
 *   Bengio 2010.
 */
export function checkHealth(
  history: readonly StepRecord[] | GradientMonitor,
  thresholds: HealthThresholds = {},
): Finding[] {
  const records: readonly StepRecord[] = history instanceof GradientMonitor ? history.history() : history;
  if (
    !Array.isArray(records as unknown) ||
    records.some((r: StepRecord) => r == null || typeof r.globalNorm !== 'number')
  ) {
    throw new InvalidArgumentError(
      `checkHealth: history must be an array of StepRecord or a GradientMonitor, got ${describeValue(history)}`,
    );
  }
  const t = resolveThresholds('checkHealth', thresholds);
  if (records.length === 0) return [];
  return diagnoseHistory(records, t, { learningRateKnown: thresholds?.learningRate !== undefined });
}
