/**
 * The one place where a step record becomes chart rows, for the live page and for the static
 * export alike. {@link recordRows}'s source text is also written into the page and run in the
 * browser, so its body uses nothing from outside itself (type imports only, which vanish).
 */
import type { StepRecord } from '@gflow/diagnostics';

/** One chart row: plain numbers and strings, with the run it belongs to. */
export type ChartRow = Record<string, number | string | null> & { run: string };

/** The datasets the charts draw, by name. */
export interface RecordRows {
  /** `{ run, step, metric: 'loss' | 'norm' | 'lr', value }`: finite loss, positive norm and rate. */
  scalars: ChartRow[];
  /** `{ run, step, kind: 'clip' | 'guard' | 'non-finite', detail }`. */
  events: ChartRow[];
  /** `{ run, step, step2, layer, index, value: log₁₀‖∂L/∂h‖, norm }`, one per tap with a positive norm. */
  taps: ChartRow[];
  /** `{ run, step, step2, layer, index, value: log₁₀‖∂L/∂θ‖, norm }`, one per parameter with a positive norm. */
  params: ChartRow[];
  /** `{ run, step, param, value: ‖Δθ‖/‖θ‖ }`, positive ratios only. */
  updates: ChartRow[];
  /** `{ run, step, step2, lo, hi, frac }`: one cell per non-empty bin of the log₁₀|g| histogram. */
  hist: ChartRow[];
}

/**
 * The chart rows of one record. Non-finite and non-positive values are left out of log-scaled
 * series (they cannot be drawn there); a non-finite step is drawn as an event instead.
 *
 * @param run - The run's name.
 * @param r - The record.
 * @param state - Per run: the step of the previous histogram (−1 before the first), so that a
 *   histogram recorded every n steps fills the steps since the previous one.
 * @returns The rows, by dataset.
 */
export function recordRows(run: string, r: StepRecord, state: { lastHist: number }): RecordRows {
  const fmt = (x: number): string => {
    if (!Number.isFinite(x)) return String(x);
    if (x === 0) return '0';
    const a = Math.abs(x);
    return a >= 1e-3 && a < 1e4 ? String(Number(x.toPrecision(3))) : x.toExponential(2);
  };
  const positive = (x: number | null | undefined): x is number =>
    typeof x === 'number' && Number.isFinite(x) && x > 0;
  const info = r.info ?? {};
  const num = (k: string, d: number): number => (typeof info[k] === 'number' ? (info[k] as number) : d);
  let lr: number | null = null;
  for (const k of ['schedule.learningRate', 'scaleBySchedule.rate', 'learningRate']) {
    if (typeof info[k] === 'number') {
      lr = info[k] as number;
      break;
    }
  }
  let clip: string | null = null;
  if (num('clipByGlobalNorm.scale', 1) < 1)
    clip = `clipByGlobalNorm scale ${fmt(num('clipByGlobalNorm.scale', 1))}`;
  else if (num('clipByNorm.clipped', 0) > 0) clip = `clipByNorm: ${num('clipByNorm.clipped', 0)} tensors`;
  else if (num('clipByValue.fraction', 0) > 0)
    clip = `clipByValue: ${fmt(num('clipByValue.fraction', 0))} of entries`;
  else if (num('adaptiveGradientClip.fraction', 0) > 0)
    clip = `adaptiveGradientClip: ${fmt(num('adaptiveGradientClip.fraction', 0))} of units`;
  else if (num('autoClip.norm', 0) > num('autoClip.threshold', Number.POSITIVE_INFINITY)) clip = 'autoClip';
  else if (num('emaClip.norm', 0) > num('emaClip.threshold', Number.POSITIVE_INFINITY)) clip = 'emaClip';

  const out: RecordRows = { scalars: [], events: [], taps: [], params: [], updates: [], hist: [] };
  const s = r.step;
  if (typeof r.loss === 'number' && Number.isFinite(r.loss))
    out.scalars.push({ run, step: s, metric: 'loss', value: r.loss });
  if (positive(r.globalNorm)) out.scalars.push({ run, step: s, metric: 'norm', value: r.globalNorm });
  if (positive(lr)) out.scalars.push({ run, step: s, metric: 'lr', value: lr });
  if (clip) out.events.push({ run, step: s, kind: 'clip', detail: clip });
  if (r.guard)
    out.events.push({ run, step: s, kind: 'guard', detail: `${r.guard.action} (${r.guard.reason})` });
  if (!r.finite)
    out.events.push({ run, step: s, kind: 'non-finite', detail: 'loss, gradient or weight not finite' });
  (r.taps ?? []).forEach((t, i) => {
    if (positive(t.gradNorm))
      out.taps.push({
        run,
        step: s,
        step2: s + 1,
        layer: t.name,
        index: i,
        value: Math.log10(t.gradNorm),
        norm: t.gradNorm,
      });
  });
  r.parameters.forEach((p, i) => {
    if (positive(p.gradNorm))
      out.params.push({
        run,
        step: s,
        step2: s + 1,
        layer: p.name,
        index: i,
        value: Math.log10(p.gradNorm),
        norm: p.gradNorm,
      });
    if (positive(p.updateRatio)) out.updates.push({ run, step: s, param: p.name, value: p.updateRatio });
  });
  const h = r.histogram;
  if (h && h.counts.length > 0) {
    const total = h.counts.reduce((a, b) => a + b, 0) + h.underflow + h.overflow;
    const from = state.lastHist >= 0 && state.lastHist < s ? state.lastHist + 1 : s;
    state.lastHist = s;
    h.counts.forEach((c, i) => {
      if (c > 0 && total > 0)
        out.hist.push({
          run,
          step: from,
          step2: s + 1,
          lo: h.edges[i] ?? 0,
          hi: h.edges[i + 1] ?? 0,
          frac: c / total,
        });
    });
  }
  return out;
}
