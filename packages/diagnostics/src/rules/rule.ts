import type { Finding, FindingKind } from '../finding.js';
import type { ResolvedThresholds } from '../health.js';
import type { FlowReport } from '../measure-gradient-flow.js';
import type { ParameterRecord, StepRecord } from '../step-record.js';

/**
 * The contract of a health rule: one kind of trouble, turned from evidence into {@link Finding}s,
 * its remedy text held in its own file. A rule reads a measured flow report
 * (`measureGradientFlow`'s diagnosis), a training history (`checkHealth`), or both; the finding
 * lists of both are put together from the one list in `rules/index.ts`, so a new rule is one new
 * file plus one line there.
 *
 * @internal
 * @module
 */

/** A flow report before its diagnosis: what a rule reads in `measureGradientFlow`. */
export type FlowEvidence = Omit<FlowReport, 'diagnosis'>;

/** What a rule knows beyond its evidence and thresholds. */
export interface RuleContext {
  /**
   * Whether the learning rate was given by the user (`measureGradientFlow`'s `learningRate`,
   * `checkHealth`'s `thresholds.learningRate`) rather than a default: update ratios derived from
   * a learning rate are only reported when it was. Ratios measured from real updates always are.
   */
  readonly learningRateKnown: boolean;
}

/** One health rule (see the module comment). */
export interface HealthRule {
  /** The kind of every finding it makes. */
  readonly kind: FindingKind;
  /** Findings from one measured flow report. */
  fromReport?(report: FlowEvidence, t: ResolvedThresholds, ctx: RuleContext): Finding[];
  /** Findings from a training history (oldest first, never empty). */
  fromHistory?(history: HistoryEvidence, t: ResolvedThresholds, ctx: RuleContext): Finding[];
}

/** A training history with the per-parameter view the parameter rules share. */
export interface HistoryEvidence {
  /** The records, oldest first (at least one). */
  readonly records: readonly StepRecord[];
  /** The records whose global norm is finite, oldest first. */
  readonly finite: readonly StepRecord[];
  /** Every parameter's entries over the history, in the order of first appearance. */
  readonly parameters: ReadonlyMap<string, readonly ParameterRecord[]>;
}

/** The {@link HistoryEvidence} of a non-empty history. */
export function historyEvidence(records: readonly StepRecord[]): HistoryEvidence {
  const parameters = new Map<string, ParameterRecord[]>();
  for (const r of records) {
    for (const p of r.parameters) {
      const list = parameters.get(p.name);
      if (list) list.push(p);
      else parameters.set(p.name, [p]);
    }
  }
  return { records, finite: records.filter((r) => Number.isFinite(r.globalNorm)), parameters };
}

/**
 * Whether a parameter never got a non-zero gradient over its entries (no gradient, or exactly 0,
 * at every step): the disconnected rule reports it, and the other parameter rules skip it.
 */
export function neverReached(entries: readonly ParameterRecord[]): boolean {
  return entries.every((p) => p.gradNorm === null || p.gradNorm === 0);
}

const ORDER = { error: 0, warning: 1, info: 2 } as const;

/** Findings ordered errors first, then warnings, then information (stable within a severity). */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);
}

/** One affected subject of a grouped finding and the number that ranks it. */
export interface Case {
  readonly name: string;
  readonly value: number;
}

/** How many of the worst cases a grouped finding's message names. */
export const WORST_LISTED = 5;

/**
 * The cases worst first (by `worse`, a comparator that sorts the worst first; stable) and the
 * message tail naming up to {@link WORST_LISTED} of them: "a (1e-7), b (3e-7) and 4 more".
 */
export function worstFirst(
  cases: readonly Case[],
  worse: (a: Case, b: Case) => number,
  show: (c: Case) => string,
): { sorted: Case[]; listed: string } {
  const sorted = [...cases].sort(worse);
  const head = sorted.slice(0, WORST_LISTED).map((c) => `${c.name} (${show(c)})`);
  const rest = sorted.length - head.length;
  return { sorted, listed: rest > 0 ? `${head.join(', ')} and ${rest} more` : head.join(', ') };
}

/** The median of a non-empty list (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}
