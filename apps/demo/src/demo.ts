/**
 * `gflow demo`: runs the report's sections in order on the chosen engine, with one progress bar
 * over all of them, prints a summary table and writes the report atomically.
 */
import type { BackendInfo } from '@gflow/backend';
import { startEngine } from './backend-command.js';
import type { DemoOptions } from './program.js';
import { type Progress, startProgress } from './progress.js';
import { type Report, type Section, writeReport } from './report.js';
import { section as a } from './sections/a-depth.js';
import { section as b } from './sections/b-activations.js';
import { section as c } from './sections/c-time.js';
import { section as d } from './sections/d-fixes.js';
import { section as e } from './sections/e-clipping.js';
import { section as f } from './sections/f-landscape.js';
import { section as g } from './sections/g-paths.js';
import { section as h } from './sections/h-remedies.js';
import type { SectionDef } from './sections/section.js';

/** Every section, in report order. */
export const SECTIONS: readonly SectionDef[] = [a, b, c, d, e, f, g, h];

/**
 * Runs one section and times it.
 *
 * @param def - The section.
 * @param quick - Reduced sizes.
 * @param progress - Progress bar.
 * @returns The section for the report.
 */
export async function runSection(def: SectionDef, quick: boolean, progress: Progress): Promise<Section> {
  const command = reproduceCommand(def.id, quick);
  const t0 = performance.now();
  const r = await def.run({ quick, progress });
  return {
    id: def.id,
    title: def.title,
    status: 'ok',
    summary: r.summary,
    conclusion: r.conclusion,
    verdicts: r.verdicts,
    remedies: r.remedies ?? [],
    command,
    findings: r.findings,
    plots: r.plots,
    settings: r.settings,
    ...(r.tables ? { tables: r.tables } : {}),
    seconds: (performance.now() - t0) / 1000,
  };
}

/**
 * The command line that runs one section alone, at the same sizes.
 *
 * @param id - Section id, e.g. `a-depth`.
 * @param quick - Quick sizes.
 * @returns E.g. `gflow demo --sections a --quick --out gflow-report-a`.
 */
export function reproduceCommand(id: string, quick: boolean): string {
  const letter = id[0] ?? '';
  return `gflow demo --sections ${letter}${quick ? ' --quick' : ''} --out gflow-report-${letter}`;
}

/** Options of {@link runDemo} beyond the command line's. */
export interface RunDemoExtras {
  /** Draw no progress bar and print no table (tests). */
  readonly quiet?: boolean;
  /** Where the summary table goes (default stdout). */
  readonly print?: (line: string) => void;
}

/**
 * Runs the demo and writes `index.html` and `results.json` into `o.out`.
 *
 * @param o - Command-line options.
 * @param extras - Quiet mode and output sink.
 * @returns The report written.
 */
export async function runDemo(o: DemoOptions, extras: RunDemoExtras = {}): Promise<Report> {
  const started = new Date();
  const t0 = performance.now();
  const info: BackendInfo = await startEngine(o.engine);
  const chosen = SECTIONS.filter((s) => !o.sections || o.sections.includes(s.id[0] ?? ''));
  const progress = startProgress(
    chosen.reduce((n, s) => n + s.steps(o.quick), 0),
    { quiet: extras.quiet ?? false, label: 'demo' },
  );
  const sections: Section[] = [];
  try {
    for (const def of chosen) sections.push(await runSection(def, o.quick, progress));
  } finally {
    progress.stop();
  }
  const report: Report = {
    title: 'gflow report: gradient flow through depth and time',
    engine: { name: info.name, simd: info.simd, threads: info.threads, fills: info.fills },
    quick: o.quick,
    startedAt: started.toISOString(),
    seconds: (performance.now() - t0) / 1000,
    sections,
  };
  await writeReport(o.out, report);
  if (!extras.quiet) {
    const print = extras.print ?? ((l: string) => console.log(l));
    for (const line of summaryTable(report)) print(line);
    print(`report: ${o.out}/index.html and ${o.out}/results.json (${report.seconds.toFixed(1)} s)`);
  }
  return report;
}

/** The terminal summary: one row per section with its status, time and headline finding. */
export function summaryTable(report: Report): string[] {
  const rows = report.sections.map((s) => [
    s.title.split(':')[0] ?? s.id,
    s.status === 'ok' ? 'ok' : 'n/a',
    s.status === 'ok' ? `${s.seconds.toFixed(1)} s` : '',
    s.status === 'ok'
      ? `${(s.verdicts ?? []).filter((v) => v.verdict === 'agrees').length} agree, ${(s.verdicts ?? []).filter((v) => v.verdict === 'differs').length} differ`
      : '',
    s.status === 'ok' ? (s.conclusion?.[0] ?? '') : s.reason,
  ]);
  const head = ['section', 'status', 'time', 'vs theory', 'conclusion'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  widths[4] = Math.min(widths[4] ?? 0, 90);
  const fmt = (r: string[]): string =>
    r
      .map((cell, i) => {
        const w = widths[i] ?? 0;
        return cell.length > w ? `${cell.slice(0, w - 1)}…` : cell.padEnd(w);
      })
      .join('  ');
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)];
}
