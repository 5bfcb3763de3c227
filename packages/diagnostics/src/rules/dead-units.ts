import { type Finding, fmt } from '../finding.js';
import type { StepRecord } from '../step-record.js';
import { type HealthRule, neverReached } from './rule.js';

/** What revives dead units. */
const REMEDY =
  'use leaky ReLU, ELU or GELU, He initialization with a small positive bias, or a lower learning rate';

/**
 * Dead units (warning): more than `deadUnitFraction` of a layer's units dead. From a report, per
 * tap: units zero for the whole batch; from a history, per parameter at the last step: units with
 * an all-zero gradient (parameters that never got a gradient are the disconnected rule's).
 *
 * @internal
 */
export const deadUnitsRule: HealthRule = {
  kind: 'dead-units',
  fromReport(r, t) {
    const out: Finding[] = [];
    for (const tap of r.taps) {
      const a = tap.activation;
      if (!(a.deadUnitFraction > t.deadUnitFraction)) continue;
      out.push({
        kind: 'dead-units',
        severity: 'warning',
        subject: tap.name,
        message: `dead units: ${fmt(100 * a.deadUnitFraction)}% of the units at ${tap.name} are zero for the whole batch (threshold ${fmt(100 * t.deadUnitFraction)}%)`,
        evidence: {
          deadUnitFraction: a.deadUnitFraction,
          zeroFraction: a.zeroFraction,
          threshold: t.deadUnitFraction,
        },
        remedy: REMEDY,
      });
    }
    return out;
  },
  fromHistory({ records, parameters }, t) {
    const out: Finding[] = [];
    const last = records[records.length - 1] as StepRecord;
    for (const [name, entries] of parameters) {
      if (neverReached(entries)) continue;
      const f = last.parameters.find((p) => p.name === name)?.deadUnitFraction;
      if (f === undefined || !(f > t.deadUnitFraction)) continue;
      out.push({
        kind: 'dead-units',
        severity: 'warning',
        subject: name,
        step: last.step,
        message: `dead units: ${fmt(100 * f)}% of the units of ${name} had an all-zero gradient at step ${last.step} (threshold ${fmt(100 * t.deadUnitFraction)}%)`,
        evidence: { deadUnitFraction: f, threshold: t.deadUnitFraction },
        remedy: REMEDY,
      });
    }
    return out;
  },
};
