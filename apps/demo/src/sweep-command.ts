/** `gflow sweep` on the command line: builds the grid, runs it, prints where the results are. */
import type { SweepOptions } from './program.js';
import { gridCells, runSweep } from './sweep.js';

/** Runs `gflow sweep`; Ctrl-C stops it cleanly (finished cells stay in the results file). */
export async function sweepCommand(o: SweepOptions): Promise<void> {
  const cells = gridCells(o);
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.prependOnceListener('SIGINT', onSigint);
  console.log(`sweep: ${cells.length} cells on ${Math.min(o.workers, cells.length)} workers → ${o.out}`);
  const s = await runSweep({
    cells,
    out: o.out,
    workers: o.workers,
    engine: o.engine,
    signal: controller.signal,
  });
  process.removeListener('SIGINT', onSigint);
  console.log(
    `sweep: ${s.ran} measured, ${s.skipped} already done, ${s.failed} failed${s.aborted ? ' (interrupted; run again to continue)' : ''}`,
  );
}
