import { type Finding, fmt } from '../finding.js';
import type { StepRecord } from '../step-record.js';
import { type Case, type HealthRule, neverReached, worstFirst } from './rule.js';

/** What revives dead units. */
const REMEDY =
  'use leaky ReLU, ELU or GELU, He initialization with a small positive bias, or a lower learning rate';

/** Largest fraction first. */
const worse = (a: Case, b: Case) => b.value - a.value;
const pct = (c: Case) => `${fmt(100 * c.value)}%`;

/**
 * Dead units (warning), one finding listing the layers with more than `deadUnitFraction` of their
 * units dead, worst first. From a report, per tap: units zero for the whole batch; from a history,
 * per parameter at the last step: units with an all-zero gradient (parameters that never got a
 * gradient are the disconnected rule's).
 *
 * @internal
 */
export const deadUnitsRule: HealthRule = {
  kind: 'dead-units',
  fromReport(r, t) {
    const cases = r.taps
      .filter((tap) => tap.activation.deadUnitFraction > t.deadUnitFraction)
      .map((tap) => ({ name: tap.name, value: tap.activation.deadUnitFraction }));
    if (cases.length === 0) return [];
    const { sorted, listed } = worstFirst(cases, worse, pct);
    const top = sorted[0] as Case;
    const zeroFraction = r.taps.find((tap) => tap.name === top.name)?.activation.zeroFraction ?? Number.NaN;
    return [
      grouped(
        sorted,
        `dead units: at ${cases.length} of ${r.taps.length} taps more than ${fmt(100 * t.deadUnitFraction)}% of the units are zero for the whole batch: ${listed}`,
        {
          taps: cases.length,
          of: r.taps.length,
          deadUnitFraction: top.value,
          zeroFraction,
          threshold: t.deadUnitFraction,
        },
      ),
    ];
  },
  fromHistory({ records, parameters }, t) {
    const last = records[records.length - 1] as StepRecord;
    const cases: Case[] = [];
    for (const [name, entries] of parameters) {
      if (neverReached(entries)) continue;
      const f = last.parameters.find((p) => p.name === name)?.deadUnitFraction;
      if (f !== undefined && f > t.deadUnitFraction) cases.push({ name, value: f });
    }
    if (cases.length === 0) return [];
    const { sorted, listed } = worstFirst(cases, worse, pct);
    return [
      {
        ...grouped(
          sorted,
          `dead units: in ${cases.length} parameters more than ${fmt(100 * t.deadUnitFraction)}% of the units had an all-zero gradient at step ${last.step}: ${listed}`,
          {
            parameters: cases.length,
            deadUnitFraction: (sorted[0] as Case).value,
            threshold: t.deadUnitFraction,
          },
        ),
        step: last.step,
      },
    ];
  },
};

function grouped(sorted: readonly Case[], message: string, evidence: Record<string, number>): Finding {
  return {
    kind: 'dead-units',
    severity: 'warning',
    subject: (sorted[0] as Case).name,
    subjects: sorted.map((c) => c.name),
    message,
    evidence,
    remedy: REMEDY,
  };
}
