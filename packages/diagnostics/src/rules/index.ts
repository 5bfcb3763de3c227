import type { Finding } from '../finding.js';
import type { ResolvedThresholds } from '../health.js';
import type { StepRecord } from '../step-record.js';
import { deadUnitsRule } from './dead-units.js';
import { disconnectedRule } from './disconnected.js';
import { explodingRule } from './exploding.js';
import { noisyGradientRule } from './noisy-gradient.js';
import { nonFiniteRule } from './non-finite.js';
import {
  type FlowEvidence,
  type HealthRule,
  historyEvidence,
  type RuleContext,
  sortFindings,
} from './rule.js';
import { unstableRule } from './unstable.js';
import { updateRatioRule } from './update-ratio.js';
import { vanishingRule } from './vanishing.js';

/**
 * The health rules, in the order their findings are listed within a severity. A new rule is one
 * file in `rules/` and one line here.
 *
 * @internal
 */
export const HEALTH_RULES: readonly HealthRule[] = [
  nonFiniteRule,
  vanishingRule,
  explodingRule,
  unstableRule,
  deadUnitsRule,
  disconnectedRule,
  updateRatioRule,
  noisyGradientRule,
];

/** The diagnosis of a flow report: every rule's findings, errors first. @internal */
export function diagnoseReport(report: FlowEvidence, t: ResolvedThresholds, ctx: RuleContext): Finding[] {
  return sortFindings(HEALTH_RULES.flatMap((rule) => rule.fromReport?.(report, t, ctx) ?? []));
}

/** The findings over a non-empty training history: every rule's, errors first. @internal */
export function diagnoseHistory(
  records: readonly StepRecord[],
  t: ResolvedThresholds,
  ctx: RuleContext,
): Finding[] {
  const evidence = historyEvidence(records);
  return sortFindings(HEALTH_RULES.flatMap((rule) => rule.fromHistory?.(evidence, t, ctx) ?? []));
}
