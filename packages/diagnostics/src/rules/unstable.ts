import { fmt } from '../finding.js';
import type { StepRecord } from '../step-record.js';
import type { HealthRule } from './rule.js';

/** What steadies a noisy norm. */
const REMEDY = 'lower the learning rate, add warm-up, or clip gradients (autoClip adapts to the run)';

/**
 * Unstable (warning, history only): over a window of `unstableWindow` steps the variance of the
 * global norm exceeds its squared mean (a coefficient of variation above 1); rolling sums, one
 * pass.
 *
 * @internal
 */
export const unstableRule: HealthRule = {
  kind: 'unstable',
  fromHistory({ finite }, t) {
    const w = t.unstableWindow;
    if (finite.length < w) return [];
    let s1 = 0;
    let s2 = 0;
    let flagged = 0;
    let first = -1;
    let worst = 0;
    for (let i = 0; i < finite.length; i++) {
      const x = (finite[i] as StepRecord).globalNorm;
      s1 += x;
      s2 += x * x;
      if (i >= w) {
        const y = (finite[i - w] as StepRecord).globalNorm;
        s1 -= y;
        s2 -= y * y;
      }
      if (i < w - 1) continue;
      const mean = s1 / w;
      const variance = Math.max(0, s2 / w - mean * mean);
      if (mean > 0 && variance > mean * mean) {
        flagged++;
        if (first < 0) first = (finite[i] as StepRecord).step;
        worst = Math.max(worst, variance / (mean * mean));
      }
    }
    if (flagged === 0) return [];
    return [
      {
        kind: 'unstable',
        severity: 'warning',
        step: first,
        message: `unstable: over ${flagged} windows of ${w} steps the variance of the global norm exceeded its squared mean (worst ratio ${fmt(worst)}, first window ending at step ${first})`,
        evidence: { windows: flagged, firstStep: first, worstRatio: worst, window: w },
        remedy: REMEDY,
      },
    ];
  },
};
