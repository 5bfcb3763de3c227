/** `gflow sweep` on the command line: builds the grid, runs it, prints a summary table. */

import type { SweepOptions } from './program.js';
import { fmt } from './sections/measure.js';
import { cellKey, gridCells, readFinished, runSweep, type SweepCell } from './sweep.js';

function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  if (xs.some(Number.isNaN)) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/**
 * The summary table: one row per architecture × activation × init, one column per depth, each
 * cell the median over seeds of ‖∂L/∂h_0‖/‖∂L/∂h_{L−1}‖ (first block's gradient over the last's).
 *
 * @param cells - The grid.
 * @param out - The results file.
 * @returns Text lines.
 */
export function sweepTable(cells: readonly SweepCell[], out: string): string[] {
  const done = readFinished(out);
  const depths = [...new Set(cells.map((c) => c.depth))].sort((a, b) => a - b);
  const rows = new Map<string, Map<number, number[]>>();
  for (const c of cells) {
    const row = `${c.arch} ${c.activation} ${c.init}`;
    if (!rows.has(row)) rows.set(row, new Map());
    const line = done.get(cellKey(c));
    const v = line?.ok ? (line.result as { firstOverLast?: number | null }).firstOverLast : null;
    // A non-finite ratio (a gradient whose own float32 elements overflowed) is kept: the median
    // shows ∞ or NaN rather than a blank.
    if (typeof v === 'number') {
      const byDepth = rows.get(row) as Map<number, number[]>;
      byDepth.set(c.depth, [...(byDepth.get(c.depth) ?? []), v]);
    }
  }
  const w = Math.max(...[...rows.keys()].map((r) => r.length), 'architecture activation init'.length);
  const lines = [
    'first block gradient / last block gradient (median over seeds):',
    `${'architecture activation init'.padEnd(w)}  ${depths.map((d) => `depth ${d}`.padStart(10)).join(' ')}`,
  ];
  const shown = new Set<string>();
  for (const [row, byDepth] of rows) {
    const cellsText = depths.map((d) => {
      const m = median(byDepth.get(d) ?? []);
      const text = fmt(m);
      if (m === 0 || (m !== null && !Number.isFinite(m))) shown.add(text);
      return text.padStart(10);
    });
    lines.push(`${row.padEnd(w)}  ${cellsText.join(' ')}`);
  }
  // Norms are scale-safe, so these values are what float32 itself computed, not a measuring
  // artefact: say so under the table.
  if (shown.has('0'))
    lines.push(
      "0: every element of the first block's gradient is exactly 0 in float32 (below its smallest value, 1.4e-45): the gradient vanished past what float32 can hold",
    );
  if (shown.has('∞') || shown.has('NaN'))
    lines.push(
      '∞ / NaN: the loss or the gradient overflowed float32 (see "loss" and "blockGradNorms" in the results file)',
    );
  return lines;
}

/** Runs `gflow sweep`; Ctrl-C stops it (finished cells stay in the results file). */
export async function sweepCommand(o: SweepOptions): Promise<void> {
  const cells = gridCells(o);
  console.log(`sweep: ${cells.length} cells on ${Math.min(o.workers, cells.length)} workers → ${o.out}`);
  const s = await runSweep({ cells, out: o.out, workers: o.workers, engine: o.engine });
  console.log(`sweep: ${s.ran} measured, ${s.skipped} already done, ${s.failed} failed`);
  for (const line of sweepTable(cells, o.out)) console.log(line);
}
