import type { Finding } from '../finding.js';
import { fmt } from '../finding.js';
import type { StepRecord } from '../step-record.js';
import type { HealthRule } from './rule.js';

/** What fixes a NaN or an infinity, whichever evidence found it. */
const REMEDY =
  'check the data for NaN, lower the learning rate, clip gradients (clipByGlobalNorm), and guard the run (TrainingGuard rolls back to the last good step)';

/**
 * Non-finite: a NaN or infinite loss, gradient, weight or tap gradient (error). From a report, one
 * finding counting each; from a history, one per quantity (loss, gradients, weights) with the
 * number of steps and the first.
 *
 * @internal
 */
export const nonFiniteRule: HealthRule = {
  kind: 'non-finite',
  fromReport(r) {
    const badGrads = r.parameters.filter((p) => p.gradNorm !== null && !Number.isFinite(p.gradNorm));
    const badWeights = r.parameters.filter((p) => !Number.isFinite(p.weightNorm));
    // A tap whose ∂L/∂h has an infinite or NaN element: non-finite, not "no gradient" (null).
    const badTaps = r.taps.filter((x) => x.gradNorm !== null && !Number.isFinite(x.gradNorm));
    if (Number.isFinite(r.loss) && badGrads.length + badWeights.length + badTaps.length === 0) return [];
    return [
      {
        kind: 'non-finite',
        severity: 'error',
        message: `non-finite: loss ${fmt(r.loss)}, ${badGrads.length} parameters with non-finite gradients, ${badWeights.length} with non-finite weights, ${badTaps.length} taps with non-finite gradients${badTaps[0] ? ` (first: ${badTaps[0].name})` : ''}`,
        evidence: {
          loss: r.loss,
          gradients: badGrads.length,
          weights: badWeights.length,
          taps: badTaps.length,
        },
        remedy: REMEDY,
      },
    ];
  },
  fromHistory({ records }) {
    const steps = { loss: [] as number[], grads: [] as number[], weights: [] as number[] };
    for (const r of records) {
      if (r.loss !== null && !Number.isFinite(r.loss)) steps.loss.push(r.step);
      if (r.parameters.some((p) => p.gradNorm !== null && !Number.isFinite(p.gradNorm)))
        steps.grads.push(r.step);
      if (r.parameters.some((p) => p.weightNorm !== null && !Number.isFinite(p.weightNorm)))
        steps.weights.push(r.step);
    }
    const out: Finding[] = [];
    for (const [what, at] of Object.entries(steps)) {
      if (at.length === 0) continue;
      out.push(historyFinding(what, at, records));
    }
    return out;
  },
};

function historyFinding(what: string, at: number[], records: readonly StepRecord[]): Finding {
  const first = at[0] as number;
  return {
    kind: 'non-finite',
    severity: 'error',
    subject: what,
    step: first,
    message: `non-finite: the ${what === 'loss' ? 'loss was' : `${what} were`} NaN or infinite at ${at.length} of ${records.length} steps, first at step ${first}`,
    evidence: { steps: at.length, firstStep: first, of: records.length },
    remedy: REMEDY,
  };
}
