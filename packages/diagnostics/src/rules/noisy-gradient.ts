import type { Finding } from '../finding.js';
import { fmt } from '../finding.js';
import { type HealthRule, median } from './rule.js';

/** What helps when a micro-batch's gradient is mostly noise. */
const REMEDY =
  'use larger batches (up to about b / SNR examples for micro-batches of b, the gradient noise scale) or accumulate gradients over micro-batches, or lower the learning rate; late in training, near a minimum, a low SNR is expected';

/** An SNR below this: the noise in a micro-batch's gradient outweighs its signal. */
const SNR_FLOOR = 1;

/** Fewer measured steps than this make no trend (each SNR is itself an estimate from k batches). */
const MIN_STEPS = 3;

/**
 * Noisy gradient (information): the median gradient signal-to-noise ratio of a history,
 * SNR = ‖ḡ‖² / tr Σ̂ (`StepRecord.snr`, measured when the monitor is given micro-batch
 * gradients), is below 1 over at least 3 measured steps. Since E‖ḡ‖² = ‖G‖² + tr Σ/k ≥ ‖G‖², a
 * measured SNR below 1 bounds the true one: the expected squared deviation of one micro-batch's
 * gradient from the full gradient G exceeds ‖G‖² itself. With micro-batches of b examples,
 * b / SNR estimates the gradient noise scale B_noise = tr Σ_example / ‖G‖², the batch size
 * beyond which larger batches stop paying off (McCandlish et al.); well below it, steps are
 * noise-dominated. Histories without SNR (no micro-batches) give no finding.
 *
 * @see McCandlish, Kaplan, Amodei et al. 2018, "An Empirical Model of Large-Batch Training".
 * @see Liu et al. 2020, "Understanding Why Neural Networks Generalize Well Through GSNR of
 *   Parameters".
 * @internal
 */
export const noisyGradientRule: HealthRule = {
  kind: 'noisy-gradient',
  fromHistory({ records }) {
    // 0/0 (every micro-batch gradient zero) is no reading; +∞ (no noise) is a high one.
    const measured = records.filter((r) => typeof r.snr === 'number' && !Number.isNaN(r.snr));
    if (measured.length < MIN_STEPS) return [];
    const snr = median(measured.map((r) => r.snr as number));
    if (!(snr < SNR_FLOOR)) return [];
    // The first step that measured it low.
    const first = measured.find((r) => (r.snr as number) < SNR_FLOOR)?.step as number;
    const finding: Finding = {
      kind: 'noisy-gradient',
      severity: 'info',
      step: first,
      message: `noisy gradient: the median gradient signal-to-noise ratio ‖ḡ‖²/tr Σ̂ over ${measured.length} measured steps is ${fmt(snr)} (below ${SNR_FLOOR}): a micro-batch's gradient is more noise than signal`,
      evidence: { medianSnr: snr, steps: measured.length, of: records.length, threshold: SNR_FLOOR },
      remedy: REMEDY,
    };
    return [finding];
  },
};
