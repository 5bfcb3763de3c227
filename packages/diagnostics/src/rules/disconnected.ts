import type { Finding } from '../finding.js';
import { type Case, type HealthRule, neverReached, worstFirst } from './rule.js';

/** What reconnects a parameter to the loss. */
const REMEDY =
  'check that the parameter is used in the forward pass and that nothing (stopGradient, an integer cast, a dead ReLU layer) cuts its path to the loss';

/**
 * Disconnected parameters (warning), one finding listing them: from a report, the parameters that
 * get no gradient from the loss; from a history, those that got no gradient or an exactly zero one
 * at every step.
 *
 * @internal
 */
export const disconnectedRule: HealthRule = {
  kind: 'disconnected',
  fromReport(r) {
    const names = r.parameters.filter((p) => p.gradNorm === null).map((p) => p.name);
    if (names.length === 0) return [];
    const { listed } = worstFirst(
      names.map((name) => ({ name, value: 0 })),
      () => 0,
      () => 'no gradient',
    );
    return [
      grouped(
        names,
        `disconnected: ${names.length} of ${r.parameters.length} parameters get no gradient from this loss: ${listed}`,
        { parameters: names.length, of: r.parameters.length, gradNorm: 0, connected: 0 },
      ),
    ];
  },
  fromHistory({ parameters }) {
    const cases: (Case & { steps: number; none: number })[] = [];
    for (const [name, entries] of parameters) {
      if (!neverReached(entries)) continue;
      const none = entries.filter((p) => p.gradNorm === null).length;
      cases.push({ name, value: entries.length, steps: entries.length, none });
    }
    if (cases.length === 0) return [];
    const { sorted, listed } = worstFirst(
      cases,
      () => 0,
      (c) => {
        const x = c as (typeof cases)[number];
        return `${x.none === x.steps ? 'no gradient' : 'an exactly zero gradient'} at all ${x.steps} steps`;
      },
    );
    const noGradient = cases.reduce((a, c) => a + (c.none === c.steps ? 1 : 0), 0);
    return [
      grouped(
        sorted.map((c) => c.name),
        `disconnected: ${cases.length} of ${parameters.size} parameters never got a non-zero gradient: ${listed}`,
        {
          parameters: cases.length,
          of: parameters.size,
          noGradient,
          zeroGradient: cases.length - noGradient,
        },
      ),
    ];
  },
};

function grouped(names: readonly string[], message: string, evidence: Record<string, number>): Finding {
  return {
    kind: 'disconnected',
    severity: 'warning',
    subject: names[0] as string,
    subjects: names,
    message,
    evidence,
    remedy: REMEDY,
  };
}
