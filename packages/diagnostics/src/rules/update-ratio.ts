import { type Finding, fmt, type Severity } from '../finding.js';
import type { ResolvedThresholds } from '../health.js';
import { type Case, type HealthRule, median, neverReached, worstFirst } from './rule.js';

/** What to do about updates too small for their weights. */
const LOW = 'raise the learning rate for these parameters (they learn slowly), or fix vanishing gradients';
/** What to do about updates too large for their weights. */
const HIGH = 'lower the learning rate or clip gradients (the updates would jump)';

/**
 * Update ratios outside `updateRatioBand` (CS231n's ‖Δθ‖/‖θ‖ ≈ 1e-3): at most two findings, the
 * parameters below the band and those above it, each listing its cases worst first. From a report
 * (information): the ratio an SGD step at the report's learning rate would make, only when the
 * learning rate was given; from a history (warning): the median measured ratio, or, when none was
 * measured and `thresholds.learningRate` was given, that rate × ‖g‖/‖θ‖.
 *
 * @internal
 */
export const updateRatioRule: HealthRule = {
  kind: 'update-ratio',
  fromReport(r, t, ctx) {
    if (!ctx.learningRateKnown) return [];
    const cases: Case[] = [];
    for (const p of r.parameters) {
      const u = p.updateRatio;
      if (p.gradNorm === null || p.gradNorm === 0 || u === null || !Number.isFinite(u)) continue;
      cases.push({ name: p.name, value: u });
    }
    const what = `an SGD step of ${fmt(r.learningRate)} would change`;
    return outside(
      cases,
      t,
      'info',
      (n, dir) => `update ratio: ${what} ${n} of ${r.parameters.length} parameters by ${dir} of their norm`,
      {
        learningRate: r.learningRate,
      },
    );
  },
  fromHistory({ parameters }, t, ctx) {
    const cases: Case[] = [];
    let estimated = 0;
    for (const [name, entries] of parameters) {
      if (neverReached(entries)) continue;
      const measured = entries
        .map((p) => p.updateRatio)
        .filter((x): x is number => x !== null && Number.isFinite(x));
      const proxy = ctx.learningRateKnown
        ? entries
            .map((p) => (p.ratio === null ? null : p.ratio * t.learningRate))
            .filter((x): x is number => x !== null && Number.isFinite(x))
        : [];
      const ratios = measured.length > 0 ? measured : proxy;
      if (ratios.length === 0) continue;
      if (measured.length === 0) estimated++;
      cases.push({ name, value: median(ratios) });
    }
    const how =
      estimated > 0 ? ` (${estimated} estimated as learning rate ${fmt(t.learningRate)} × ‖g‖/‖θ‖)` : '';
    return outside(
      cases,
      t,
      'warning',
      (n, dir) =>
        `update ratio: the median ‖Δθ‖/‖θ‖ of ${n} of ${parameters.size} parameters was ${dir}${how}`,
      {},
    );
  },
};

/** The findings for the cases below and above the band. */
function outside(
  cases: readonly Case[],
  t: ResolvedThresholds,
  severity: Severity,
  head: (n: number, dir: string) => string,
  extra: Record<string, number>,
): Finding[] {
  const [lo, hi] = t.updateRatioBand;
  const out: Finding[] = [];
  const sides = [
    {
      cases: cases.filter((c) => c.value < lo),
      dir: `below ${fmt(lo)}`,
      worse: (a: Case, b: Case) => a.value - b.value,
      remedy: LOW,
    },
    {
      cases: cases.filter((c) => c.value > hi),
      dir: `above ${fmt(hi)}`,
      worse: (a: Case, b: Case) => b.value - a.value,
      remedy: HIGH,
    },
  ];
  for (const side of sides) {
    if (side.cases.length === 0) continue;
    const { sorted, listed } = worstFirst(side.cases, side.worse, (c) => fmt(c.value));
    const worst = sorted[0] as Case;
    out.push({
      kind: 'update-ratio',
      severity,
      subject: worst.name,
      subjects: sorted.map((c) => c.name),
      message: `${head(sorted.length, side.dir)}, outside the healthy band [${fmt(lo)}, ${fmt(hi)}]: ${listed}`,
      evidence: { parameters: sorted.length, worstUpdateRatio: worst.value, low: lo, high: hi, ...extra },
      remedy: side.remedy,
    });
  }
  return out;
}
