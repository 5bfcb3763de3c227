/**
 * The dashboard's static export, in the report's format: `index.html` (inline SVG, no script,
 * no network) and `results.json` (every number behind every plot), made with the report's own
 * plotting helpers (plot.ts) and writer (report.ts) from the same chart rows the live page draws.
 */
import { checkHealth, type Finding, nonFiniteReplacer, type StepRecord } from '@gflow/diagnostics';
import { heatmapPlot, linePlot, type Plot, type Row } from '../plot.js';
import {
  escapeHtml,
  type Report,
  reportToHtml,
  reportToJson,
  type Section,
  writeFolderAtomically,
} from '../report.js';
import { type ChartRow, type RecordRows, recordRows } from './rows.js';
import { RunStore } from './run-store.js';

/** One run to export. */
export interface ExportRun {
  /** The run's name. */
  readonly name: string;
  /** Its records, oldest first. */
  readonly records: readonly StepRecord[];
  /** Its health findings (default: `checkHealth(records)`). */
  readonly findings?: readonly Finding[];
  /** Lines of its file skipped as not being step records. */
  readonly corruptLines?: number;
}

/** Most vertical rules (guard and non-finite events) drawn on one plot; every event is in the table. */
const MAX_RULES = 40;

function rowsOfRun(run: ExportRun): RecordRows {
  const all: RecordRows = { scalars: [], events: [], taps: [], params: [], updates: [], hist: [] };
  const state = { lastHist: -1 };
  for (const r of run.records) {
    const rows = recordRows(run.name, r, state);
    for (const k of Object.keys(all) as (keyof RecordRows)[]) for (const x of rows[k]) all[k].push(x);
  }
  return all;
}

function findingsOf(run: ExportRun): readonly Finding[] {
  if (run.findings) return run.findings;
  try {
    return checkHealth(run.records);
  } catch {
    return [];
  }
}

/** The [min, max] of a field over rows, or undefined when there are none. */
function extent(rows: readonly ChartRow[], field: string): [number, number] | undefined {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const r of rows) {
    const v = r[field];
    if (typeof v === 'number' && Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  return lo <= hi ? [lo, hi === lo ? lo + 1 : hi] : undefined;
}

/** A number with 3 significant digits for a sentence (exponent form far from 1; NaN and ±∞ as words). */
function num3(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return x === 0 || (a >= 1e-3 && a < 1e4) ? String(Number(x.toPrecision(3))) : x.toExponential(2);
}

/** The named fields of a chart row (a missing one as null). */
const pick = (r: ChartRow, ...keys: string[]): Row => Object.fromEntries(keys.map((k) => [k, r[k] ?? null]));

const cells = (rows: readonly ChartRow[]): Row[] =>
  rows.map((r) => ({
    ...r,
    step_end: r.step2 ?? null,
    index_end: typeof r.index === 'number' ? r.index + 1 : null,
  }));

function layerNames(rows: readonly ChartRow[]): string {
  const names = new Map<number, string>();
  for (const r of rows)
    if (typeof r.index === 'number' && !names.has(r.index)) names.set(r.index, String(r.layer));
  return [...names.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([i, n]) => `${i} ${n}`)
    .join(', ');
}

/**
 * The dashboard's runs as a report: one section comparing the runs (loss, global gradient norm,
 * learning rate, by run), then one section per run (activation- and parameter-gradient heat maps
 * on one colour scale for every run, update ratios, histograms over time, clip and guard events,
 * health findings with their remedies).
 *
 * @param runs - The runs, each with its records.
 * @param logDir - The log directory they were read from (named in the report).
 * @returns The report, for {@link dashboardExportFiles} or the report's writer.
 */
export function dashboardReport(runs: readonly ExportRun[], logDir: string): Report {
  const rows = new Map(runs.map((r) => [r.name, rowsOfRun(r)]));
  const all = (k: keyof RecordRows): ChartRow[] => [...rows.values()].flatMap((r) => r[k]);
  const tapDomain = extent(all('taps'), 'value');
  const paramDomain = extent(all('params'), 'value');
  const times = runs.flatMap((r) => r.records.map((x) => x.time)).filter(Number.isFinite);
  const t0 = times.length > 0 ? Math.min(...times) : Date.now();
  const t1 = times.length > 0 ? Math.max(...times) : t0;

  const scalar = (metric: string): Row[] =>
    all('scalars')
      .filter((x) => x.metric === metric)
      .map((x) => pick(x, 'run', 'step', 'value'));
  const comparePlots: Plot[] = [
    linePlot({
      id: 'loss',
      caption: 'Loss per step, every run on one axis.',
      data: scalar('loss'),
      x: { field: 'step', title: 'step' },
      y: { field: 'value', title: 'loss' },
      series: { field: 'run', title: 'run' },
    }),
    linePlot({
      id: 'global-norm',
      caption: 'Global gradient norm ‖g‖ (L2 over every parameter) per step, before any clipping transform.',
      data: scalar('norm'),
      x: { field: 'step', title: 'step' },
      y: { field: 'value', title: '‖g‖ (L2 norm, log scale)', log: true },
      series: { field: 'run', title: 'run' },
    }),
  ];
  if (scalar('lr').length > 0) {
    comparePlots.push(
      linePlot({
        id: 'learning-rate',
        caption: 'Learning rate per step, as the schedule or transform recorded it in the step info.',
        data: scalar('lr'),
        x: { field: 'step', title: 'step' },
        y: { field: 'value', title: 'learning rate (log scale)', log: true },
        series: { field: 'run', title: 'run' },
      }),
    );
  }
  const runTable: Row[] = runs.map((run) => {
    const last = run.records.at(-1);
    const ev = rows.get(run.name)?.events ?? [];
    const fs = findingsOf(run);
    return {
      run: run.name,
      steps: run.records.length,
      'last step': last?.step ?? null,
      'last loss': last?.loss ?? null,
      'last ‖g‖': last?.globalNorm ?? null,
      'clip events': ev.filter((e) => e.kind === 'clip').length,
      'guard events': ev.filter((e) => e.kind === 'guard').length,
      'non-finite steps': ev.filter((e) => e.kind === 'non-finite').length,
      findings: fs.length,
      'corrupt lines skipped': run.corruptLines ?? 0,
    };
  });
  const sections: Section[] = [
    {
      id: 'runs',
      title: 'Runs compared',
      status: 'ok',
      summary: [
        `${runs.length} run${runs.length === 1 ? '' : 's'} from ${logDir}, ${times.length} step records in all.`,
        'Loss, global gradient norm and learning rate of every run on shared axes; each run has its own section below.',
      ],
      findings: { runs: runs.length, records: times.length },
      plots: comparePlots,
      seconds: 0,
      settings: { logDir },
      tables: { Runs: runTable },
    },
  ];

  for (const run of runs) {
    const r = rows.get(run.name) as RecordRows;
    const fs = findingsOf(run);
    const plots: Plot[] = [];
    const events = r.events.filter((e) => e.kind !== 'clip');
    plots.push(
      linePlot({
        id: 'global-norm',
        caption:
          'Global gradient norm per step; dotted rules mark the steps where the TrainingGuard acted or a value was not finite (clip events are counted in the table below).',
        data: r.scalars.filter((x) => x.metric === 'norm').map((x) => pick(x, 'run', 'step', 'value')),
        x: { field: 'step', title: 'step' },
        y: { field: 'value', title: '‖g‖ (L2 norm, log scale)', log: true },
        series: { field: 'run', title: 'run' },
        rules: events.slice(0, MAX_RULES).map((e) => ({ x: Number(e.step), label: String(e.kind) })),
      }),
    );
    if (r.taps.length > 0) {
      plots.push(
        heatmapPlot({
          id: 'taps',
          caption: `log₁₀‖∂L/∂h‖ per layer and step, one colour scale for every run. Rows from the input side: ${layerNames(r.taps)}.`,
          data: cells(r.taps),
          x: { field: 'step', title: 'step' },
          y: { field: 'index', title: 'layer (0 = input side)' },
          value: { field: 'value', title: 'log₁₀‖∂L/∂h‖', ...(tapDomain ? { domain: tapDomain } : {}) },
        }),
      );
    }
    if (r.params.length > 0) {
      plots.push(
        heatmapPlot({
          id: 'params',
          caption: `log₁₀‖∂L/∂θ‖ per parameter and step, one colour scale for every run. Rows: ${layerNames(r.params)}.`,
          data: cells(r.params),
          x: { field: 'step', title: 'step' },
          y: { field: 'index', title: 'parameter' },
          value: { field: 'value', title: 'log₁₀‖∂L/∂θ‖', ...(paramDomain ? { domain: paramDomain } : {}) },
        }),
      );
    }
    if (r.updates.length > 0) {
      plots.push(
        linePlot({
          id: 'update-ratios',
          caption:
            'Update ratio ‖Δθ‖/‖θ‖ per parameter and step; CS231n calls about 1e-3 healthy (1e-4 to 1e-2).',
          data: r.updates.map((x) => pick(x, 'step', 'value', 'param')),
          x: { field: 'step', title: 'step' },
          y: { field: 'value', title: '‖Δθ‖/‖θ‖ (log scale)', log: true },
          series: { field: 'param', title: 'parameter' },
          points: false,
        }),
      );
    }
    if (r.hist.length > 0) {
      plots.push(
        heatmapPlot({
          id: 'histograms',
          caption:
            'Histogram of log₁₀|g| over every gradient entry, over time: colour is the fraction of entries in the bin (entries below the first edge, zeros included, count in the total).',
          data: r.hist.map((x) => ({ ...x, step_end: x.step2 ?? null, lo_end: x.hi ?? null })),
          x: { field: 'step', title: 'step' },
          y: { field: 'lo', title: 'log₁₀|g|' },
          value: { field: 'frac', title: 'fraction of entries' },
        }),
      );
    }
    const last = run.records.at(-1);
    const clips = r.events.filter((e) => e.kind === 'clip').length;
    const errors = fs.filter((f) => f.severity === 'error').length;
    sections.push({
      id: `run-${run.name}`,
      title: `Run ${run.name}`,
      status: 'ok',
      summary: [
        last
          ? `${run.records.length} steps (last step ${last.step}); last loss ${last.loss === null ? 'not recorded' : num3(last.loss)}, last ‖g‖ ${num3(last.globalNorm)}. ${clips} step${clips === 1 ? '' : 's'} clipped, ${events.length} guard or non-finite events.`
          : 'No records.',
        fs.length === 0
          ? 'Health check: no findings.'
          : `Health check: ${fs.length} finding${fs.length === 1 ? '' : 's'} (${errors} error${errors === 1 ? '' : 's'}), each with its remedy in the table below.`,
      ],
      findings: { steps: run.records.length, clipEvents: clips, findings: fs.length, errors },
      plots,
      seconds: 0,
      settings: { run: run.name },
      tables: {
        'Health findings': fs.map((f) => ({
          severity: f.severity,
          kind: f.kind,
          subject: f.subject ?? null,
          'from step': f.step ?? null,
          message: f.message,
          remedy: f.remedy,
        })),
        'Clip, guard and non-finite events': r.events.map((e) => pick(e, 'step', 'kind', 'detail')),
      },
    });
  }
  return {
    title: `gflow dashboard export: ${runs.map((r) => r.name).join(', ') || 'no runs'}`,
    // Step records do not say which engine ran them; the HTML's meta line says so instead.
    engine: { name: 'not recorded', simd: false, threads: 0, fills: [] },
    quick: false,
    startedAt: new Date(t0).toISOString(),
    seconds: (t1 - t0) / 1000,
    sections,
  };
}

/**
 * The export's two files, in the report's format.
 *
 * @param runs - The runs.
 * @param logDir - Where they were read from.
 * @returns `index.html` and `results.json`.
 */
export async function dashboardExportFiles(
  runs: readonly ExportRun[],
  logDir: string,
): Promise<{ 'index.html': string; 'results.json': string }> {
  const report = dashboardReport(runs, logDir);
  const meta =
    `<p class="meta">Exported by gflow dashboard from <code>${escapeHtml(logDir)}</code>: ${runs.length} run${runs.length === 1 ? '' : 's'}, ` +
    `records from ${escapeHtml(report.startedAt)} over ${report.seconds.toFixed(1)} s. ` +
    'Every number behind every plot is in <code>results.json</code> beside this file.</p>';
  const html = (await reportToHtml(report)).replace(/<p class="meta">[\s\S]*?<\/p>/, meta);
  const json = { ...(reportToJson(report) as Record<string, unknown>), engine: null, source: { logDir } };
  return { 'index.html': html, 'results.json': `${JSON.stringify(json, nonFiniteReplacer, 1)}\n` };
}

/**
 * Reads every run of a log directory and writes the static export into `outDir` (atomically,
 * as the report is written).
 *
 * @param logDir - The log directory (`<run>.jsonl` each).
 * @param outDir - The folder to write `index.html` and `results.json` into (replaced).
 * @returns The number of runs exported.
 */
export async function exportDashboard(logDir: string, outDir: string): Promise<number> {
  const store = new RunStore(logDir);
  store.readAll();
  const runs = store.list().map((r) => ({ name: r.name, records: r.records, corruptLines: r.corruptLines }));
  await writeFolderAtomically(outDir, await dashboardExportFiles(runs, store.dir));
  return runs.length;
}
