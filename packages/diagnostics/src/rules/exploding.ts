import { type Finding, fmt } from '../finding.js';
import type { ResolvedThresholds } from '../health.js';
import type { FlowTap } from '../measure-gradient-flow.js';
import type { StepRecord } from '../step-record.js';
import type { FlowEvidence, HealthRule } from './rule.js';

/** What fixes gradients that are too large. */
const REMEDY =
  'clip gradients (clipByGlobalNorm or autoClip), lower the learning rate, or lower the initialization gain / add normalization layers';

/** What to do about a large norm that does not grow along the network. */
const SCALE_REMEDY =
  'check the loss and output scale (normalize the targets, average rather than sum the loss) or lower the learning rate; clipping (clipByGlobalNorm) bounds the step meanwhile';

/** Whether the report has ≥ 2 taps with a finite gradient, first/last within [flowRatio, 1/flowRatio]. */
function flowBalanced(r: FlowEvidence, t: ResolvedThresholds): boolean {
  const withGrad = r.taps.filter((x) => x.gradNorm !== null && Number.isFinite(x.gradNorm) && x.gradNorm > 0);
  if (withGrad.length < 2) return false;
  const ratio =
    ((withGrad[0] as FlowTap).gradNorm as number) /
    ((withGrad[withGrad.length - 1] as FlowTap).gradNorm as number);
  return ratio >= t.flowRatio && ratio <= 1 / t.flowRatio;
}

/** What fixes a sudden jump of the norm from one step to the next. */
const SPIKE_REMEDY =
  'clip gradients relative to their history (autoClip, emaClip) or lower the learning rate';

/**
 * Exploding gradients (error; a step-to-step spike is a warning). From a report: the first
 * block's gradient above 1/`flowRatio` times the last block's, a global norm above `exploding`
 * (a warning only when the taps show no growth along the network: then the scale of the loss, not
 * the flow, makes it large);
 * from a history: steps whose global norm is above `exploding`, and steps whose norm is more than
 * `explodingFactor` times the previous step's.
 *
 * @internal
 */
export const explodingRule: HealthRule = {
  kind: 'exploding',
  fromReport(r, t) {
    const out: Finding[] = [];
    const withGrad = r.taps.filter((x) => x.gradNorm !== null && Number.isFinite(x.gradNorm));
    if (withGrad.length >= 2) {
      const first = withGrad[0] as FlowTap;
      const last = withGrad[withGrad.length - 1] as FlowTap;
      const ratio = (first.gradNorm as number) / (last.gradNorm as number);
      if (ratio > 1 / t.flowRatio) {
        out.push({
          kind: 'exploding',
          severity: 'error',
          subject: first.name,
          message: `exploding: the first block's gradient (${first.name}) is ${fmt(ratio)} times the last block's (${last.name}) (threshold ${fmt(1 / t.flowRatio)})`,
          evidence: {
            firstNorm: first.gradNorm as number,
            lastNorm: last.gradNorm as number,
            ratio,
            threshold: t.flowRatio,
          },
          remedy: REMEDY,
        });
      }
    }
    // An infinite global norm is exploding too (it is also non-finite). A large global norm whose
    // taps are balanced along the network (first/last within the flow band) is not a flow that
    // explodes: a warning (the loss scale or the learning rate), not an error.
    if (r.globalNorm > t.exploding) {
      const balanced = flowBalanced(r, t);
      out.push({
        kind: 'exploding',
        severity: balanced ? 'warning' : 'error',
        message: `exploding: the global gradient norm is ${fmt(r.globalNorm)} (threshold ${fmt(t.exploding)})${balanced ? ', but it does not grow along the network (first/last tap ratio within the flow band): the loss or output scale makes it large' : ''}`,
        evidence: { globalNorm: r.globalNorm, threshold: t.exploding },
        remedy: balanced ? SCALE_REMEDY : REMEDY,
      });
    }
    return out;
  },
  fromHistory({ records, finite }, t) {
    const out: Finding[] = [];
    const big = finite.filter((r) => r.globalNorm > t.exploding);
    if (big.length > 0) {
      const worst = Math.max(...big.map((r) => r.globalNorm));
      const first = (big[0] as StepRecord).step;
      out.push({
        kind: 'exploding',
        severity: 'error',
        step: first,
        message: `exploding: the global gradient norm exceeded ${fmt(t.exploding)} at ${big.length} of ${records.length} steps (largest ${fmt(worst)})`,
        evidence: { steps: big.length, firstStep: first, largest: worst, threshold: t.exploding },
        remedy: REMEDY,
      });
    }
    const spikes: { step: number; factor: number }[] = [];
    for (let i = 1; i < finite.length; i++) {
      const prev = (finite[i - 1] as StepRecord).globalNorm;
      const cur = finite[i] as StepRecord;
      if (prev > 0 && cur.globalNorm > t.explodingFactor * prev)
        spikes.push({ step: cur.step, factor: cur.globalNorm / prev });
    }
    if (spikes.length > 0) {
      const worst = Math.max(...spikes.map((s) => s.factor));
      const first = (spikes[0] as { step: number }).step;
      out.push({
        kind: 'exploding',
        severity: 'warning',
        subject: 'spike',
        step: first,
        message: `exploding: the global norm jumped more than ${fmt(t.explodingFactor)}× from one step to the next ${spikes.length} times (worst ${fmt(worst)}×, first at step ${first})`,
        evidence: {
          spikes: spikes.length,
          firstStep: first,
          worstFactor: worst,
          threshold: t.explodingFactor,
        },
        remedy: SPIKE_REMEDY,
      });
    }
    return out;
  },
};
