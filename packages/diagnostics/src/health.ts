import { describeValue, InvalidArgumentError } from '@gflow/core';
import { type Finding, fmt } from './finding.js';
import { GradientMonitor } from './gradient-monitor.js';
import { checkInteger, checkNonNegative } from './internal/validate.js';
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
 * - `learningRate` = 1e-3: used only when a record has no measured update ratio: the ratio
 *   ‖g‖/‖θ‖ times this rate stands in for it (exact for plain SGD).
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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/**
 * Finds trouble in a training history: vanishing and exploding gradients (absolute, and k times
 * the previous step), unstable norms, non-finite loss, gradients or weights, dead units,
 * disconnected parameters (no gradient, or exactly zero at every step), and update ratios
 * outside the healthy band.
 *
 * Findings are aggregated: one per kind (and parameter), with the first step, the number of
 * steps affected and the worst value as evidence.
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
  const findings: Finding[] = [];
  if (records.length === 0) return findings;

  // Non-finite loss, gradients, weights.
  const nf = { loss: [] as number[], grads: [] as number[], weights: [] as number[] };
  for (const r of records) {
    if (r.loss !== null && !Number.isFinite(r.loss)) nf.loss.push(r.step);
    if (r.parameters.some((p) => p.gradNorm !== null && !Number.isFinite(p.gradNorm))) nf.grads.push(r.step);
    if (r.parameters.some((p) => p.weightNorm !== null && !Number.isFinite(p.weightNorm)))
      nf.weights.push(r.step);
  }
  for (const [what, steps] of Object.entries(nf)) {
    if (steps.length === 0) continue;
    findings.push({
      kind: 'non-finite',
      severity: 'error',
      subject: what,
      step: steps[0] as number,
      message: `non-finite: the ${what === 'loss' ? 'loss was' : `${what} were`} NaN or infinite at ${steps.length} of ${records.length} steps, first at step ${steps[0]}`,
      evidence: { steps: steps.length, firstStep: steps[0] as number, of: records.length },
      remedy:
        'lower the learning rate, clip gradients (clipByGlobalNorm), check the data for NaN, and guard the run (TrainingGuard restores the last good weights)',
    });
  }

  // Vanishing and exploding global norms.
  const finite = records.filter((r) => Number.isFinite(r.globalNorm));
  const small = finite.filter((r) => r.globalNorm < t.vanishing);
  if (small.length > 0) {
    const worst = Math.min(...small.map((r) => r.globalNorm));
    findings.push({
      kind: 'vanishing',
      severity: small.length === finite.length ? 'error' : 'warning',
      step: (small[0] as StepRecord).step,
      message: `vanishing: the global gradient norm was below ${fmt(t.vanishing)} at ${small.length} of ${records.length} steps (smallest ${fmt(worst)})`,
      evidence: {
        steps: small.length,
        firstStep: (small[0] as StepRecord).step,
        smallest: worst,
        threshold: t.vanishing,
      },
      remedy:
        'use residual connections, He/orthogonal initialization or normalization layers; check for saturated activations',
    });
  }
  const big = finite.filter((r) => r.globalNorm > t.exploding);
  if (big.length > 0) {
    const worst = Math.max(...big.map((r) => r.globalNorm));
    findings.push({
      kind: 'exploding',
      severity: 'error',
      step: (big[0] as StepRecord).step,
      message: `exploding: the global gradient norm exceeded ${fmt(t.exploding)} at ${big.length} of ${records.length} steps (largest ${fmt(worst)})`,
      evidence: {
        steps: big.length,
        firstStep: (big[0] as StepRecord).step,
        largest: worst,
        threshold: t.exploding,
      },
      remedy:
        'clip gradients (clipByGlobalNorm or autoClip), lower the learning rate, or use a smaller initialization',
    });
  }
  const spikes: { step: number; factor: number }[] = [];
  for (let i = 1; i < finite.length; i++) {
    const prev = (finite[i - 1] as StepRecord).globalNorm;
    const cur = (finite[i] as StepRecord).globalNorm;
    if (prev > 0 && cur > t.explodingFactor * prev)
      spikes.push({ step: (finite[i] as StepRecord).step, factor: cur / prev });
  }
  if (spikes.length > 0) {
    const worst = Math.max(...spikes.map((s) => s.factor));
    findings.push({
      kind: 'exploding',
      severity: 'warning',
      subject: 'spike',
      step: (spikes[0] as { step: number }).step,
      message: `exploding: the global norm jumped more than ${fmt(t.explodingFactor)}× from one step to the next ${spikes.length} times (worst ${fmt(worst)}×, first at step ${(spikes[0] as { step: number }).step})`,
      evidence: {
        spikes: spikes.length,
        firstStep: (spikes[0] as { step: number }).step,
        worstFactor: worst,
        threshold: t.explodingFactor,
      },
      remedy: 'clip gradients relative to their history (autoClip, emaClip) or lower the learning rate',
    });
  }

  // Unstable: variance over a window above the squared mean (rolling sums).
  const w = t.unstableWindow;
  if (finite.length >= w) {
    let s1 = 0;
    let s2 = 0;
    let flagged = 0;
    let first = -1;
    let worst = 0;
    for (let i = 0; i < finite.length; i++) {
      const x = (finite[i] as StepRecord).globalNorm;
      s1 += x;
      s2 += x * x;
      if (i >= w) {
        const y = (finite[i - w] as StepRecord).globalNorm;
        s1 -= y;
        s2 -= y * y;
      }
      if (i >= w - 1) {
        const mean = s1 / w;
        const variance = Math.max(0, s2 / w - mean * mean);
        if (mean > 0 && variance > mean * mean) {
          flagged++;
          if (first < 0) first = (finite[i] as StepRecord).step;
          worst = Math.max(worst, variance / (mean * mean));
        }
      }
    }
    if (flagged > 0) {
      findings.push({
        kind: 'unstable',
        severity: 'warning',
        step: first,
        message: `unstable: over ${flagged} windows of ${w} steps the variance of the global norm exceeded its squared mean (worst ratio ${fmt(worst)}, first window ending at step ${first})`,
        evidence: { windows: flagged, firstStep: first, worstRatio: worst, window: w },
        remedy: 'lower the learning rate, add warm-up, or clip gradients (autoClip adapts to the run)',
      });
    }
  }

  // Per parameter: disconnected, dead units, update ratio.
  const names = new Set<string>();
  for (const r of records) for (const p of r.parameters) names.add(p.name);
  const last = records[records.length - 1] as StepRecord;
  for (const name of names) {
    const entries = records.flatMap((r) =>
      r.parameters.filter((p) => p.name === name).map((p) => ({ r, p })),
    );
    const noGrad = entries.filter(({ p }) => p.gradNorm === null || p.gradNorm === 0);
    if (noGrad.length === entries.length) {
      const none = entries.filter(({ p }) => p.gradNorm === null).length;
      findings.push({
        kind: 'disconnected',
        severity: 'warning',
        subject: name,
        message: `disconnected: ${name} got ${none === entries.length ? 'no gradient' : 'an exactly zero gradient'} at all ${entries.length} steps`,
        evidence: { steps: entries.length, noGradient: none, zeroGradient: entries.length - none },
        remedy:
          'check that the parameter is used in the forward pass and that nothing (stopGradient, an integer cast, a dead ReLU layer) cuts its path to the loss',
      });
      continue;
    }
    const lastEntry = last.parameters.find((p) => p.name === name);
    if (lastEntry?.deadUnitFraction !== undefined && lastEntry.deadUnitFraction > t.deadUnitFraction) {
      findings.push({
        kind: 'dead-units',
        severity: 'warning',
        subject: name,
        step: last.step,
        message: `dead units: ${fmt(100 * lastEntry.deadUnitFraction)}% of the units of ${name} had an all-zero gradient at step ${last.step} (threshold ${fmt(100 * t.deadUnitFraction)}%)`,
        evidence: { deadUnitFraction: lastEntry.deadUnitFraction, threshold: t.deadUnitFraction },
        remedy:
          'use leaky ReLU, ELU or GELU, a lower learning rate, or He initialization with a small positive bias',
      });
    }
    const measured = entries
      .map(({ p }) => p.updateRatio)
      .filter((x): x is number => x !== null && Number.isFinite(x));
    const proxy = entries
      .map(({ p }) => (p.ratio === null ? null : p.ratio * t.learningRate))
      .filter((x): x is number => x !== null && Number.isFinite(x));
    const ratios = measured.length > 0 ? measured : proxy;
    if (ratios.length === 0) continue;
    const m = median(ratios);
    const [lo, hi] = t.updateRatioBand;
    if (m < lo || m > hi) {
      findings.push({
        kind: 'update-ratio',
        severity: 'warning',
        subject: name,
        message: `update ratio: the median ‖Δθ‖/‖θ‖ of ${name} was ${fmt(m)}${measured.length > 0 ? '' : ` (estimated as learning rate ${fmt(t.learningRate)} × ‖g‖/‖θ‖)`}, outside the healthy band [${fmt(lo)}, ${fmt(hi)}]`,
        evidence: { medianUpdateRatio: m, low: lo, high: hi, steps: ratios.length },
        remedy:
          m < lo
            ? 'raise the learning rate for this parameter (or check for vanishing gradients)'
            : 'lower the learning rate or clip gradients',
      });
    }
  }
  const order = { error: 0, warning: 1, info: 2 } as const;
  return findings.sort((a, b) => order[a.severity] - order[b.severity]);
}
