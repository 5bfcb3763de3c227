import type { Finding } from '../finding.js';
import { type HealthRule, neverReached } from './rule.js';

/** What reconnects a parameter to the loss. */
const REMEDY =
  'check that the parameter is used in the forward pass and that nothing (stopGradient, an integer cast, a dead ReLU layer) cuts its path to the loss';

/**
 * Disconnected parameters (warning): from a report, a parameter that gets no gradient from the
 * loss; from a history, one that got no gradient or an exactly zero one at every step.
 *
 * @internal
 */
export const disconnectedRule: HealthRule = {
  kind: 'disconnected',
  fromReport(r) {
    return r.parameters
      .filter((p) => p.gradNorm === null)
      .map(
        (p): Finding => ({
          kind: 'disconnected',
          severity: 'warning',
          subject: p.name,
          message: `disconnected: ${p.name} gets no gradient from this loss`,
          evidence: { gradNorm: 0, connected: 0 },
          remedy: REMEDY,
        }),
      );
  },
  fromHistory({ parameters }) {
    const out: Finding[] = [];
    for (const [name, entries] of parameters) {
      if (!neverReached(entries)) continue;
      const none = entries.filter((p) => p.gradNorm === null).length;
      out.push({
        kind: 'disconnected',
        severity: 'warning',
        subject: name,
        message: `disconnected: ${name} got ${none === entries.length ? 'no gradient' : 'an exactly zero gradient'} at all ${entries.length} steps`,
        evidence: { steps: entries.length, noGradient: none, zeroGradient: entries.length - none },
        remedy: REMEDY,
      });
    }
    return out;
  },
};
