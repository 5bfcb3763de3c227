import { type Finding, fmt } from '../finding.js';
import { type HealthRule, neverReached } from './rule.js';

/** What to do about an update too small for its weights. */
const LOW = 'raise the learning rate for this parameter (it learns slowly), or fix vanishing gradients';
/** What to do about an update too large for its weights. */
const HIGH = 'lower the learning rate or clip gradients (the update would jump)';

/**
 * Update ratios outside `updateRatioBand` (CS231n's ‖Δθ‖/‖θ‖ ≈ 1e-3). From a report (information):
 * the ratio an SGD step at the report's learning rate would make; from a history (warning): the
 * median measured ratio, or, when none was measured, `learningRate` × ‖g‖/‖θ‖.
 *
 * @internal
 */
export const updateRatioRule: HealthRule = {
  kind: 'update-ratio',
  fromReport(r, t) {
    const [lo, hi] = t.updateRatioBand;
    const out: Finding[] = [];
    for (const p of r.parameters) {
      const u = p.updateRatio;
      if (p.gradNorm === null || p.gradNorm === 0 || u === null || !Number.isFinite(u)) continue;
      if (u >= lo && u <= hi) continue;
      out.push({
        kind: 'update-ratio',
        severity: 'info',
        subject: p.name,
        message: `update ratio: an SGD step of ${fmt(r.learningRate)} would change ${p.name} by ${fmt(u)} of its norm, outside [${fmt(lo)}, ${fmt(hi)}]`,
        evidence: { updateRatio: u, learningRate: r.learningRate, low: lo, high: hi },
        remedy: u < lo ? LOW : HIGH,
      });
    }
    return out;
  },
  fromHistory({ parameters }, t) {
    const [lo, hi] = t.updateRatioBand;
    const out: Finding[] = [];
    for (const [name, entries] of parameters) {
      if (neverReached(entries)) continue;
      const measured = entries
        .map((p) => p.updateRatio)
        .filter((x): x is number => x !== null && Number.isFinite(x));
      const proxy = entries
        .map((p) => (p.ratio === null ? null : p.ratio * t.learningRate))
        .filter((x): x is number => x !== null && Number.isFinite(x));
      const ratios = measured.length > 0 ? measured : proxy;
      if (ratios.length === 0) continue;
      const m = median(ratios);
      if (m >= lo && m <= hi) continue;
      out.push({
        kind: 'update-ratio',
        severity: 'warning',
        subject: name,
        message: `update ratio: the median ‖Δθ‖/‖θ‖ of ${name} was ${fmt(m)}${measured.length > 0 ? '' : ` (estimated as learning rate ${fmt(t.learningRate)} × ‖g‖/‖θ‖)`}, outside the healthy band [${fmt(lo)}, ${fmt(hi)}]`,
        evidence: { medianUpdateRatio: m, low: lo, high: hi, steps: ratios.length },
        remedy: m < lo ? LOW : HIGH,
      });
    }
    return out;
  },
};

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}
