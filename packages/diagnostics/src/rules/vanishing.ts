import { type Finding, fmt } from '../finding.js';
import type { FlowTap } from '../measure-gradient-flow.js';
import type { StepRecord } from '../step-record.js';
import type { FlowEvidence, HealthRule } from './rule.js';

/** What fixes vanishing gradients, whichever evidence found them (the cause unknown). */
const REMEDY =
  'use residual connections or He initialization (orthogonal for tanh), or add normalization layers; check for saturated sigmoids/tanh and dead ReLUs';

/**
 * What fixes vanishing gradients through saturating activations: their derivative (σ′ ≤ 1/4,
 * tanh′ ≤ 1) shrinks the gradient at every layer whatever the initialization, so He
 * initialization does not help; the activation or the architecture has to change.
 */
const SATURATING_REMEDY =
  'change the activation (ReLU, GELU or another non-saturating one), or add residual connections or normalization layers; a different initialization does not help saturating sigmoid/tanh layers';

/**
 * Whether every tap's activations look like sigmoid/tanh outputs: all within [−1, 1] and none
 * exactly zero (ReLU-like layers have exact zeros; unbounded ones leave [−1, 1]).
 */
function saturatingActivations(r: FlowEvidence): boolean {
  return (
    r.taps.length > 0 &&
    r.taps.every((x) => x.activation.min >= -1 && x.activation.max <= 1 && x.activation.zeroFraction === 0)
  );
}

/**
 * Vanishing gradients (error, or a warning over a history where only some steps vanish). From a
 * report: the first block's gradient below `flowRatio` of the last block's, a global norm below
 * `vanishing`, and parameters the loss reaches whose gradient is exactly 0 (one finding naming
 * them all); from a history: steps whose global norm is below `vanishing`. When a report's
 * activations look saturating (sigmoid/tanh-like at every tap), the remedy says to change the
 * activation or add residual/normalization layers, not the initialization.
 *
 * @internal
 */
export const vanishingRule: HealthRule = {
  kind: 'vanishing',
  fromReport(r, t) {
    const out: Finding[] = [];
    const saturating = saturatingActivations(r);
    // The remedy fits the cause the activations show.
    const remedy = saturating ? SATURATING_REMEDY : REMEDY;
    const cause = saturating
      ? "; every tap's activations lie within [−1, 1] with no exact zeros, as saturating sigmoid/tanh outputs do"
      : '';
    const withGrad = r.taps.filter((x) => x.gradNorm !== null && Number.isFinite(x.gradNorm));
    if (withGrad.length >= 2) {
      const first = withGrad[0] as FlowTap;
      const last = withGrad[withGrad.length - 1] as FlowTap;
      const ratio = (first.gradNorm as number) / (last.gradNorm as number);
      if (ratio < t.flowRatio) {
        out.push({
          kind: 'vanishing',
          severity: 'error',
          subject: first.name,
          message: `vanishing: the first block's gradient (${first.name}) is ${fmt(ratio)} of the last block's (${last.name}) (threshold ${fmt(t.flowRatio)})${cause}`,
          evidence: {
            firstNorm: first.gradNorm as number,
            lastNorm: last.gradNorm as number,
            ratio,
            threshold: t.flowRatio,
          },
          remedy,
        });
      }
    }
    if (Number.isFinite(r.globalNorm) && r.globalNorm < t.vanishing) {
      out.push({
        kind: 'vanishing',
        severity: 'error',
        message: `vanishing: the global gradient norm is ${fmt(r.globalNorm)} (threshold ${fmt(t.vanishing)})${cause}`,
        evidence: { globalNorm: r.globalNorm, threshold: t.vanishing },
        remedy,
      });
    }
    // A parameter the loss reaches but whose gradient is exactly 0 is not disconnected: its
    // gradient vanished (float32 underflow through a deep stack, or saturated/dead units upstream).
    // One finding names them all; a deep sigmoid net would otherwise print one line per parameter.
    const zero = r.parameters.filter((p) => p.gradNorm === 0);
    if (zero.length > 0) {
      const names = zero.map((p) => p.name);
      const span = names.length === 1 ? names[0] : `${names[0]} … ${names[names.length - 1]}`;
      out.push({
        kind: 'vanishing',
        severity: 'error',
        subject: names[0] as string,
        message: `vanishing: ${zero.length} of ${r.parameters.length} parameters (${span}) get an exactly zero gradient although the loss depends on them (float32 underflow below ~1e-38, or saturated or dead units upstream)`,
        evidence: { zeroGradientParameters: zero.length, parameters: r.parameters.length },
        remedy,
      });
    }
    return out;
  },
  fromHistory({ records, finite }, t) {
    const small = finite.filter((r) => r.globalNorm < t.vanishing);
    if (small.length === 0) return [];
    const worst = Math.min(...small.map((r) => r.globalNorm));
    const first = (small[0] as StepRecord).step;
    return [
      {
        kind: 'vanishing',
        severity: small.length === finite.length ? 'error' : 'warning',
        step: first,
        message: `vanishing: the global gradient norm was below ${fmt(t.vanishing)} at ${small.length} of ${records.length} steps (smallest ${fmt(worst)})`,
        evidence: { steps: small.length, firstStep: first, smallest: worst, threshold: t.vanishing },
        remedy: REMEDY,
      },
    ];
  },
};
