/**
 * The report: a self-contained `index.html` (inline SVG, no scripts, no network) and a
 * `results.json` holding every number behind every plot. Both are written into a temporary
 * sibling folder that is renamed into place only when complete, so an interrupted run never
 * leaves a half-written report.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { nonFiniteReplacer } from '@gflow/diagnostics';
import { type Plot, type Row, renderSvg } from './plot.js';
import type { Remedy, Verdict } from './sections/section.js';

/** Version of the results.json layout. */
export const RESULTS_SCHEMA_VERSION = 1;

/** A finding: a named measured number (or string) shown in the text and kept in results.json. */
export type Findings = Record<
  string,
  number | string | boolean | null | readonly (number | string)[] | readonly Readonly<Row>[]
>;

/** A section that ran. */
export interface CompletedSection {
  /** Section letter and slug, e.g. `a-depth`. */
  readonly id: string;
  /** Heading. */
  readonly title: string;
  /** Status. */
  readonly status: 'ok';
  /** What the plots show and the measured finding, one or two sentences each (numbers from this run). */
  readonly summary: readonly string[];
  /** The numbers quoted in the summary. */
  readonly findings: Findings;
  /** What the numbers mean (built from this run's numbers); every demo section has one. */
  readonly conclusion?: readonly string[];
  /** The section's claims checked against theory (the summary table's rows). */
  readonly verdicts?: readonly Verdict[];
  /** Problems shown and their remedies. */
  readonly remedies?: readonly Remedy[];
  /** The command that reproduces this section, e.g. `gflow demo --sections a --quick`. */
  readonly command?: string;
  /** The plots. */
  readonly plots: readonly Plot[];
  /** Seconds spent. */
  readonly seconds: number;
  /** Settings used (depths, sizes, seeds). */
  readonly settings: Record<string, unknown>;
  /** Tables by caption (rows of plain values). */
  readonly tables?: Readonly<Record<string, readonly Row[]>>;
}

/** A section that could not run, and why. Never filled with made-up numbers. */
export interface UnavailableSection {
  /** Section id. */
  readonly id: string;
  /** Heading. */
  readonly title: string;
  /** Status. */
  readonly status: 'unavailable';
  /** Why, e.g. `not available yet: @gflow/models does not export lstm`. */
  readonly reason: string;
  /** The command that would run it. */
  readonly command?: string;
}

/** One section of the report. */
export type Section = CompletedSection | UnavailableSection;

/** Everything the report holds. */
export interface Report {
  /** Title. */
  readonly title: string;
  /** The engine and how it was chosen. */
  readonly engine: {
    readonly name: string;
    readonly simd: boolean;
    readonly threads: number;
    readonly fills: readonly string[];
  };
  /** Whether the quick (CI) sizes were used. */
  readonly quick: boolean;
  /** ISO time the run started. */
  readonly startedAt: string;
  /** Total seconds. */
  readonly seconds: number;
  /** The sections in order. */
  readonly sections: readonly Section[];
}

/** One row of the report's summary table: a section's claim checked against theory. */
export interface SummaryRow {
  /** Section id. */
  readonly section: string;
  /** What the experiment tests. */
  readonly claim: string;
  /** Theory's prediction. */
  readonly predicted: string;
  /** This run's measurement. */
  readonly measured: string;
  /** agrees, differs, or not run (a section that could not run). */
  readonly verdict: 'agrees' | 'differs' | 'not run';
  /** Why it differs (with the paper), or why it did not run; null when it agrees. */
  readonly explanation: string | null;
}

/** The summary table: every verdict of every section, in report order; one row for a section that did not run. */
export function summaryRows(report: Report): SummaryRow[] {
  return report.sections.flatMap((s): SummaryRow[] =>
    s.status === 'ok'
      ? (s.verdicts ?? []).map((v) => ({ section: s.id, ...v }))
      : [
          {
            section: s.id,
            claim: s.title,
            predicted: '',
            measured: '',
            verdict: 'not run',
            explanation: s.reason,
          },
        ],
  );
}

/** The remedies table: every section's problems and their fixes, in report order. */
export function remedyRows(report: Report): (Remedy & { readonly section: string })[] {
  return report.sections.flatMap((s) =>
    s.status === 'ok' ? (s.remedies ?? []).map((r) => ({ section: s.id, ...r })) : [],
  );
}

/** The JSON form of a report: plots carry their rows and spec, not the SVG. */
export function reportToJson(report: Report): unknown {
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    title: report.title,
    engine: report.engine,
    quick: report.quick,
    startedAt: report.startedAt,
    seconds: report.seconds,
    summary: summaryRows(report),
    remedies: remedyRows(report),
    sections: Object.fromEntries(
      report.sections.map((s) => [
        s.id,
        s.status === 'ok'
          ? {
              title: s.title,
              status: s.status,
              summary: s.summary,
              ...(s.conclusion ? { conclusion: s.conclusion } : {}),
              ...(s.command ? { command: s.command } : {}),
              findings: s.findings,
              settings: s.settings,
              seconds: s.seconds,
              plots: s.plots.map((p) => ({ id: p.id, caption: p.caption, data: p.data })),
              ...(s.tables ? { tables: s.tables } : {}),
            }
          : {
              title: s.title,
              status: s.status,
              reason: s.reason,
              ...(s.command ? { command: s.command } : {}),
            },
      ]),
    ),
  };
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const CSS = `
body{font-family:Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.meta{color:#555;font-size:.9em}figure{margin:1.2em 0}figure svg{display:block;max-width:100%;height:auto}
figcaption{font-size:.9em;color:#444;max-width:640px;margin-top:.3em}
.unavailable{background:#fff4e5;border-left:4px solid #f0a020;padding:.6em 1em}
table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ddd;padding:.2em .6em;text-align:left}
nav a{margin-right:1em}
.summary td{vertical-align:top}.agrees{color:#1a7f37;font-weight:bold}.differs{color:#b35900;font-weight:bold}
.conclusion{background:#f3f7fb;border-left:4px solid #4a7ab5;padding:.4em 1em;margin:1em 0}
.conclusion h3{margin:.2em 0;font-size:1em}pre.cmd{background:#f5f5f5;padding:.4em .8em;font-size:.85em;overflow-x:auto}
caption{text-align:left;font-weight:bold;padding:.3em 0}
`;

/** Renders the whole report to a self-contained HTML document (inline SVG, no script, no network). */
export async function reportToHtml(report: Report): Promise<string> {
  const parts: string[] = [];
  parts.push(
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // An empty data: icon keeps the browser from asking for /favicon.ico.
    '<link rel="icon" href="data:,">',
    `<title>${escapeHtml(report.title)}</title><style>${CSS}</style></head><body>`,
    `<h1>${escapeHtml(report.title)}</h1>`,
    `<p class="meta">Engine: ${escapeHtml(report.engine.name)} (SIMD ${report.engine.simd ? 'on' : 'off'}, ${report.engine.threads} thread${report.engine.threads === 1 ? '' : 's'}${report.engine.fills.length ? `; ${report.engine.fills.length} kernel and gradient fills from @gflow/backend` : ''}). ` +
      `Mode: ${report.quick ? 'quick (reduced sizes)' : 'full'}. Started ${escapeHtml(report.startedAt)}, ${report.seconds.toFixed(1)} s. ` +
      'Every number behind every plot is in <code>results.json</code> beside this file.</p>',
    summaryHtml(report),
    remediesHtml(report),
    `<nav>${report.sections.map((s) => `<a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a>`).join('')}</nav>`,
  );
  for (const s of report.sections) {
    parts.push(`<section id="${escapeHtml(s.id)}"><h2>${escapeHtml(s.title)}</h2>`);
    if (s.status === 'unavailable') {
      parts.push(`<p class="unavailable">Not in this report: ${escapeHtml(s.reason)}</p></section>`);
      continue;
    }
    if (s.command) parts.push(`<p>Reproduce: </p><pre class="cmd">${escapeHtml(s.command)}</pre>`);
    for (const p of s.summary) parts.push(`<p>${escapeHtml(p)}</p>`);
    for (const plot of s.plots) {
      const svg = await renderSvg(plot);
      parts.push(
        `<figure id="${escapeHtml(`${s.id}-${plot.id}`)}">${svg}<figcaption>${escapeHtml(plot.caption)}</figcaption></figure>`,
      );
    }
    for (const [caption, rows] of Object.entries(s.tables ?? {})) parts.push(tableHtml(caption, rows));
    if (s.conclusion && s.conclusion.length > 0) {
      parts.push(
        '<div class="conclusion"><h3>Conclusion</h3>',
        ...s.conclusion.map((c) => `<p>${escapeHtml(c)}</p>`),
        '</div>',
      );
    }
    parts.push('</section>');
  }
  parts.push('</body></html>');
  return parts.join('\n');
}

const TABLE_ROWS = 25;

/** The summary table at the top of the report: one row per claim, with its verdict and why. */
function summaryHtml(report: Report): string {
  const rows = summaryRows(report);
  if (!rows.some((r) => r.verdict !== 'not run')) return '';
  const head = ['section', 'claim', 'theory predicts', 'measured', 'verdict', 'why it differs'];
  return [
    '<h2 id="summary">Summary</h2>',
    '<p>Each experiment’s claim, what theory predicts, what this run measured, and whether they agree; where they differ, the reason with its paper. The sections below hold the plots and the full conclusions.</p>',
    `<table class="summary"><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`,
    ...rows.map(
      (r) =>
        `<tr><td><a href="#${escapeHtml(r.section)}">${escapeHtml(r.section)}</a></td><td>${escapeHtml(r.claim)}</td><td>${escapeHtml(r.predicted)}</td><td>${escapeHtml(r.measured)}</td><td class="${r.verdict === 'not run' ? '' : r.verdict}">${escapeHtml(r.verdict)}</td><td>${escapeHtml(r.explanation ?? '')}</td></tr>`,
    ),
    '</table>',
  ].join('\n');
}

/** The remedies table: each problem the run showed, where, and what fixes it. */
function remediesHtml(report: Report): string {
  const rows = remedyRows(report);
  if (rows.length === 0) return '';
  const head = ['problem', 'seen in this run', 'remedy', 'see', 'section'];
  return [
    '<h2 id="remedies">Remedies</h2>',
    `<table class="summary"><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`,
    ...rows.map(
      (r) =>
        `<tr><td>${escapeHtml(r.problem)}</td><td>${escapeHtml(r.seen)}</td><td>${escapeHtml(r.remedy)}</td><td>${escapeHtml(r.see)}</td><td><a href="#${escapeHtml(r.section)}">${escapeHtml(r.section)}</a></td></tr>`,
    ),
    '</table>',
  ].join('\n');
}

/** A small HTML table of rows (the first 25; all of them are in results.json). */
function tableHtml(caption: string, rows: readonly Row[]): string {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown): string =>
    escapeHtml(
      typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(3)) : String(v ?? ''),
    );
  const more =
    rows.length > TABLE_ROWS ? ` (first ${TABLE_ROWS} of ${rows.length}; all in results.json)` : '';
  if (rows.length === 0) return `<p>${escapeHtml(caption)}: none.</p>`;
  return [
    `<table><caption>${escapeHtml(caption)}${escapeHtml(more)}</caption>`,
    `<tr>${cols.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>`,
    ...rows.slice(0, TABLE_ROWS).map((r) => `<tr>${cols.map((c) => `<td>${cell(r[c])}</td>`).join('')}</tr>`),
    '</table>',
  ].join('');
}

let activeTemp: string | undefined;

/** The temporary folder being written, if any (the SIGINT handler removes it). */
export function activeTempFolder(): string | undefined {
  return activeTemp;
}

/**
 * Removes the temporary folder being written, synchronously (what Ctrl-C calls before exiting,
 * so that an interrupted run leaves neither a half-written report nor its temporary folder).
 *
 * @returns The folder removed, if there was one.
 */
export function removeActiveTempFolder(): string | undefined {
  const tmp = activeTemp;
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  return tmp;
}

/**
 * Writes files into `outDir` atomically: everything goes into a temporary sibling folder first,
 * which replaces `outDir` by a rename only once every file is complete.
 *
 * @param outDir - The destination folder (replaced if it exists).
 * @param files - File name → contents.
 * @param hooks - `afterWrite` runs once every file is in the temporary folder, before the rename
 *   (tests use it to interrupt there).
 */
export async function writeFolderAtomically(
  outDir: string,
  files: Record<string, string>,
  hooks: { readonly afterWrite?: () => void } = {},
): Promise<void> {
  const dest = resolve(outDir);
  const parent = dirname(dest);
  await mkdir(parent, { recursive: true });
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const tmp = join(parent, `.${basename(dest)}.tmp-${tag}`);
  activeTemp = tmp;
  try {
    await mkdir(tmp);
    for (const [name, text] of Object.entries(files)) await writeFile(join(tmp, name), text);
    hooks.afterWrite?.();
    const old = join(parent, `.${basename(dest)}.old-${tag}`);
    const exists = await stat(dest).then(
      () => true,
      () => false,
    );
    if (exists) await rename(dest, old);
    await rename(tmp, dest);
    if (exists) await rm(old, { recursive: true, force: true });
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    activeTemp = undefined;
  }
}

/**
 * Writes `index.html` and `results.json` for a report into `outDir`, atomically.
 *
 * @param outDir - Destination folder.
 * @param report - The report.
 */
export async function writeReport(outDir: string, report: Report): Promise<void> {
  const html = await reportToHtml(report);
  const json = `${JSON.stringify(reportToJson(report), nonFiniteReplacer, 1)}\n`;
  await writeFolderAtomically(outDir, { 'index.html': html, 'results.json': json });
}

/** Rows helper re-exported for sections. */
export type { Row };
