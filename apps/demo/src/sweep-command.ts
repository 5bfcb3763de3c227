/** `gflow sweep` on the command line: builds the grid, runs it, prints a summary table. */

import { criticalLine } from '@gflow/core';
import type { SweepOptions, WorkerOptions } from './program.js';
import { DEFAULT_QUEUE_NAME, queueStatus, runQueueSweep } from './queue/queue-sweep.js';
import { runQueueWorker } from './queue/queue-worker.js';
import { parseRedisUrl } from './queue/redis.js';
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
    const row =
      `${c.arch} ${c.activation} ${c.init}` +
      (c.weightVariance === undefined ? '' : ` σ_w²=${c.weightVariance}`) +
      (c.biasVariance === undefined ? '' : ` σ_b²=${c.biasVariance}`) +
      (c.branchScale === undefined ? '' : ` α=${c.branchScale}`);
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

/**
 * Runs `gflow sweep`; Ctrl-C stops it (finished cells stay in the results file). With `--queue`
 * the cells go to a Redis queue for `gflow worker`s and this process collects their results.
 */
export async function sweepCommand(o: SweepOptions): Promise<void> {
  const cells = gridCells(o);
  if (o.queue !== undefined) {
    const target = parseRedisUrl('gflow sweep --queue', o.queue);
    if (o.status) {
      const st = await queueStatus(target, o.queueName);
      const c = st.counts;
      console.log(
        `queue ${o.queueName ?? DEFAULT_QUEUE_NAME} on ${target.display}: ${c.waiting ?? 0} queued, ${c.active ?? 0} active, ${c.completed ?? 0} done, ${c.failed ?? 0} failed, ${(c.delayed ?? 0) + (c.prioritized ?? 0)} waiting to retry`,
      );
      console.log(
        `workers connected: ${st.workers.length}${st.workers.length > 0 ? ` (${st.workers.join(', ')})` : ''}`,
      );
      return;
    }
    console.log(`sweep: ${cells.length} cells through the queue on ${target.display} → ${o.out}`);
    const controller = new AbortController();
    const onInt = (): void => controller.abort();
    process.once('SIGTERM', onInt);
    try {
      const s = await runQueueSweep({
        cells,
        out: o.out,
        target,
        ...(o.queueName === undefined ? {} : { queueName: o.queueName }),
        ...(o.attempts === undefined ? {} : { attempts: o.attempts }),
        signal: controller.signal,
      });
      console.log(
        `sweep: ${s.enqueued} cells enqueued, ${s.collected} results written (${s.failed} failed), ${s.skipped} already done${s.aborted ? '; stopped early: run the same command again to collect the rest' : ''}`,
      );
    } finally {
      process.off('SIGTERM', onInt);
    }
  } else {
    console.log(`sweep: ${cells.length} cells on ${Math.min(o.workers, cells.length)} workers → ${o.out}`);
    const s = await runSweep({ cells, out: o.out, workers: o.workers, engine: o.engine });
    console.log(`sweep: ${s.ran} measured, ${s.skipped} already done, ${s.failed} failed`);
  }
  for (const line of sweepTable(cells, o.out)) console.log(line);
  for (const line of phaseTable(cells, o.out)) console.log(line);
}

/** Runs `gflow worker` until Ctrl-C or SIGTERM (running cells finish first) or `--max-cells`. */
export async function workerCommand(o: WorkerOptions): Promise<void> {
  const target = parseRedisUrl('gflow worker', o.queue);
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(130); // a second Ctrl-C: leave now (the cell is retried elsewhere)
    process.stderr.write(
      'gflow worker: stopping after the cells in progress (Ctrl-C again to leave at once)\n',
    );
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const s = await runQueueWorker({
      target,
      queueName: o.queueName,
      workers: o.workers,
      engine: o.engine,
      stallTimeout: o.stallTimeout,
      ...(o.maxCells === undefined ? {} : { maxCells: o.maxCells }),
      signal: controller.signal,
    });
    console.log(`worker: ${s.done} cells measured, ${s.failed} attempts failed`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Where a row's measured per-layer factor crosses 1, interpolated linearly in σ_w² on log r. */
function crossing(points: readonly { sw: number; r: number }[]): number | null {
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1] as { sw: number; r: number };
    const b = points[i] as { sw: number; r: number };
    if (!(a.r > 0 && b.r > 0 && Number.isFinite(a.r) && Number.isFinite(b.r))) continue;
    const la = Math.log(a.r);
    const lb = Math.log(b.r);
    if (la === 0) return a.sw;
    if (la < 0 && lb >= 0) return a.sw + ((b.sw - a.sw) * -la) / (lb - la);
  }
  return null;
}

/**
 * The measured phase diagram, when the grid sweeps σ_w²: one block per architecture ×
 * activation × depth (× branch scale), a row per σ_b², a column per σ_w², each cell the median
 * over seeds of the per-layer gradient factor r = (‖∂L/∂h_0‖/‖∂L/∂h_{L−1}‖)^(1/(L−1)); beside
 * each row, where r crosses 1 and mean-field theory's critical σ_w² (χ₁ = 1, `criticalLine`).
 * For a plain net at large depth the two agree (Schoenholz et al. 2017); residual nets and
 * batch norm move the measured crossing away from the plain-net line.
 *
 * @param cells - The grid.
 * @param out - The results file.
 * @returns Text lines (none when the grid has no σ_w² values).
 */
export function phaseTable(cells: readonly SweepCell[], out: string): string[] {
  const swept = cells.filter((c) => c.weightVariance !== undefined);
  if (swept.length === 0) return [];
  const done = readFinished(out);
  const groups = new Map<string, SweepCell[]>();
  for (const c of swept) {
    const g = `${c.arch} ${c.activation} depth ${c.depth}${c.branchScale === undefined ? '' : ` α ${c.branchScale}`}`;
    groups.set(g, [...(groups.get(g) ?? []), c]);
  }
  const lines: string[] = [];
  for (const [g, cs] of groups) {
    const sws = [...new Set(cs.map((c) => c.weightVariance as number))].sort((a, b) => a - b);
    const sbs = [...new Set(cs.map((c) => c.biasVariance ?? 0))].sort((a, b) => a - b);
    const act = (cs[0] as SweepCell).activation;
    lines.push(
      '',
      `phase diagram, ${g}: per-layer gradient factor (first/last)^(1/(L−1)), median over seeds (1 = critical)`,
      `${'σ_b² \\ σ_w²'.padEnd(12)} ${sws.map((s) => fmt(s).padStart(8)).join(' ')}   measured r = 1   mean field χ₁ = 1`,
    );
    for (const sb of sbs) {
      const points: { sw: number; r: number }[] = [];
      const row = sws.map((sw) => {
        const rs: number[] = [];
        for (const c of cs) {
          if (c.weightVariance !== sw || (c.biasVariance ?? 0) !== sb) continue;
          const line = done.get(cellKey(c));
          const v = line?.ok ? (line.result as { firstOverLast?: number | null }).firstOverLast : null;
          if (typeof v === 'number' && c.depth > 1) rs.push(v ** (1 / (c.depth - 1)));
        }
        const m = median(rs);
        if (m !== null) points.push({ sw, r: m });
        return fmt(m).padStart(8);
      });
      let theory = 'none';
      try {
        const p = criticalLine(act, [sb])[0];
        if (p && Number.isFinite(p.weightVariance)) theory = fmt(p.weightVariance);
      } catch {
        theory = 'none'; // no σ_w² makes χ₁ = 1 for this activation and σ_b²
      }
      const measured = crossing(points);
      lines.push(
        `${fmt(sb).padEnd(12)} ${row.join(' ')}   ${(measured === null ? 'not in grid' : fmt(measured)).padStart(14)}   ${theory.padStart(17)}`,
      );
    }
  }
  return lines;
}
