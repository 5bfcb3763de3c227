/**
 * `gflow sweep`: a grid over depth × activation × init × architecture × seed, measured in a pool
 * of worker threads (tinypool), one TensorFlow.js engine per worker. Each finished cell is
 * appended to a JSON-lines file at once; a restarted sweep reads that file and skips the cells
 * already finished, so a killed sweep continues where it stopped.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { GflowIOError } from '@gflow/core';
import { nonFiniteReplacer, nonFiniteReviver } from '@gflow/diagnostics';
import { Tinypool } from 'tinypool';
import type {
  ActivationFlag,
  Architecture,
  EngineFlag,
  InitFlag,
  NormFlag,
  SweepOptions,
} from './program.js';
import { startProgress } from './progress.js';
import { lockResultsFile, repairLastLine } from './results-file.js';

/** The pool's worker module: the compiled `sweep-worker.js` beside this file (or beside the bundle). */
export const SWEEP_WORKER_URL = new URL('./sweep-worker.js', import.meta.url);

/** One grid point. */
export interface SweepCell {
  /** Architecture. */
  readonly arch: Architecture;
  /** Blocks. */
  readonly depth: number;
  /** Activation. */
  readonly activation: ActivationFlag;
  /** Initialization. */
  readonly init: InitFlag;
  /** Seed. */
  readonly seed: number;
  /** Width or channels. */
  readonly width: number;
  /** Normalization. */
  readonly norm: NormFlag;
  /**
   * σ_w²: when set, every block's kernel is drawn from N(0, σ_w²/fan-in) instead of `init`
   * (the readout keeps its own initialization), as in mean-field theory (Poole et al. 2016).
   */
  readonly weightVariance?: number;
  /** σ_b²: the blocks' biases are drawn from N(0, σ_b²) (default 0, zero biases); needs `weightVariance`. */
  readonly biasVariance?: number;
  /** The residual branch scale α in h + α·f(h) (residual architectures only; default 1). */
  readonly branchScale?: number;
}

/** What a worker receives: the cell and the engine to start. */
export interface SweepTask {
  /** The cell. */
  readonly cell: SweepCell;
  /** Engine. */
  readonly engine: EngineFlag;
}

/** One line of the results file. */
export type SweepLine =
  | {
      readonly key: string;
      readonly cell: SweepCell;
      readonly ok: true;
      readonly result: unknown;
      readonly seconds: number;
    }
  | {
      readonly key: string;
      readonly cell: SweepCell;
      readonly ok: false;
      readonly error: string;
      readonly seconds: number;
    };

/** The stable key of a cell; the results file is keyed on it. */
export function cellKey(c: SweepCell): string {
  // The variance and branch-scale fields enter the key only when set, so results files written
  // before they existed keep their keys.
  const extra =
    (c.weightVariance === undefined ? '' : `|sw2=${c.weightVariance}`) +
    (c.biasVariance === undefined ? '' : `|sb2=${c.biasVariance}`) +
    (c.branchScale === undefined ? '' : `|bs=${c.branchScale}`);
  return `arch=${c.arch}|depth=${c.depth}|activation=${c.activation}|init=${c.init}|norm=${c.norm}|width=${c.width}${extra}|seed=${c.seed}`;
}

/** The grid of a sweep: the lists it crosses and the fixed width and normalization. */
export type SweepGrid = Pick<
  SweepOptions,
  'archs' | 'depths' | 'activations' | 'inits' | 'seeds' | 'width' | 'norm'
> &
  Partial<Pick<SweepOptions, 'weightVariances' | 'biasVariances' | 'branchScales'>>;

/**
 * Every cell of the grid, in a stable order (architecture, depth, activation, init, σ_w², σ_b²,
 * branch scale, seed). Lists left out (`weightVariances`, `biasVariances`, `branchScales`) leave
 * their field unset in every cell.
 */
export function gridCells(o: SweepGrid): SweepCell[] {
  const cells: SweepCell[] = [];
  const opt = <T>(xs: readonly T[] | undefined): (T | undefined)[] =>
    xs && xs.length > 0 ? [...xs] : [undefined];
  for (const arch of o.archs)
    for (const depth of o.depths)
      for (const activation of o.activations)
        for (const init of o.inits)
          for (const weightVariance of opt(o.weightVariances))
            for (const biasVariance of opt(o.biasVariances))
              for (const branchScale of opt(o.branchScales))
                for (const seed of o.seeds)
                  cells.push({
                    arch,
                    depth,
                    activation,
                    init,
                    seed,
                    width: o.width,
                    norm: o.norm,
                    ...(weightVariance === undefined ? {} : { weightVariance }),
                    ...(biasVariance === undefined ? {} : { biasVariance }),
                    ...(branchScale === undefined ? {} : { branchScale }),
                  });
  return cells;
}

/**
 * Reads the finished cells of a results file. Lines that do not parse and failed cells are
 * ignored, so those cells run again ({@link runSweep} removes a last line cut short by a kill
 * before reading).
 *
 * @param file - The JSON-lines file (missing means nothing finished).
 * @returns Finished lines by key.
 */
export function readFinished(file: string): Map<string, SweepLine> {
  const done = new Map<string, SweepLine>();
  if (!existsSync(file)) return done;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const parsed = JSON.parse(line, nonFiniteReviver) as SweepLine;
      if (parsed && typeof parsed.key === 'string' && parsed.ok === true) done.set(parsed.key, parsed);
    } catch {
      // Not a whole line (a file written by an older gflow may hold one): that cell runs again.
    }
  }
  return done;
}

/** Options of {@link runSweep}. */
export interface RunSweepOptions {
  /** The grid. */
  readonly cells: readonly SweepCell[];
  /** Results file (JSON lines, appended). */
  readonly out: string;
  /** Worker threads. */
  readonly workers: number;
  /** Engine each worker starts. */
  readonly engine: EngineFlag;
  /** The worker module (default: the compiled `sweep-worker.js` beside this file). */
  readonly workerFile?: string | URL;
  /** Draw no progress bar. */
  readonly quiet?: boolean;
  /** Called after each cell's line is written. */
  readonly onLine?: (line: SweepLine) => void;
  /** Aborts the sweep: running cells are dropped (they run again next time). */
  readonly signal?: AbortSignal;
  /** Where notes go (a repaired last line); default: a line on stderr. */
  readonly note?: (message: string) => void;
}

/** What {@link runSweep} did. */
export interface SweepSummary {
  /** Cells measured in this run. */
  readonly ran: number;
  /** Cells skipped because the results file already had them. */
  readonly skipped: number;
  /** Cells that failed in this run. */
  readonly failed: number;
  /** Whether the run was aborted before the end. */
  readonly aborted: boolean;
}

/**
 * Runs the cells not yet in `out` in a worker pool, appending one line per finished cell. The
 * file is locked for the whole run (see {@link lockResultsFile}): a second sweep on the same file
 * refuses at once and measures nothing. A last line cut short by a kill is truncated away first,
 * with a note, so the file is valid JSON lines again.
 *
 * @param o - Grid, file, pool size.
 * @returns Counts of what ran, was skipped, failed.
 * @throws GflowIOError when another sweep holds the lock on `out`, or the lock is lost mid-run.
 */
export async function runSweep(o: RunSweepOptions): Promise<SweepSummary> {
  const out = resolve(o.out);
  const note = o.note ?? ((m: string) => process.stderr.write(`${m}\n`));
  await mkdir(dirname(out), { recursive: true });
  let lost: Error | undefined;
  const inFlight = new Set<AbortController>();
  let aborted = false;
  const stop = (): void => {
    aborted = true;
    for (const c of inFlight) c.abort();
  };
  const release = await lockResultsFile(out, {
    onCompromised: (err) => {
      lost = err;
      stop();
    },
  });
  try {
    const repair = repairLastLine(out);
    if (repair.kind === 'truncated') {
      note(
        `sweep: the last line of ${o.out} was cut short (a killed sweep?); removed that incomplete line (${repair.removedBytes} bytes), so the file is valid JSON lines again, and its cell runs again.`,
      );
    }
    const finished = readFinished(out);
    const todo = o.cells.filter((c) => !finished.has(cellKey(c)));
    const skipped = o.cells.length - todo.length;
    if (todo.length === 0) return { ran: 0, skipped, failed: 0, aborted: false };
    const filename = (o.workerFile ?? SWEEP_WORKER_URL).toString();
    const threads = Math.max(1, Math.min(o.workers, todo.length));
    const pool = new Tinypool({ filename, minThreads: threads, maxThreads: threads, isolateWorkers: false });
    const progress = startProgress(todo.length, { quiet: o.quiet ?? false, label: 'sweep' });
    if (skipped > 0 && !o.quiet) progress.task(`resuming: ${skipped} cells already in ${o.out}`);
    let ran = 0;
    let failed = 0;
    o.signal?.addEventListener('abort', stop, { once: true });
    if (o.signal?.aborted) stop();
    // One runner per thread takes the next cell when its last one is done, so at most `threads`
    // cells are in flight, each with its own AbortController: one shared signal handed to every
    // pool.run gathered one abort listener per cell (MaxListenersExceededWarning past 10).
    let next = 0;
    const runner = async (): Promise<void> => {
      while (!aborted && next < todo.length) {
        const cell = todo[next++] as SweepCell;
        const key = cellKey(cell);
        const t0 = performance.now();
        const controller = new AbortController();
        inFlight.add(controller);
        let line: SweepLine;
        try {
          const task: SweepTask = { cell, engine: o.engine };
          const result: unknown = await pool.run(task, { signal: controller.signal });
          line = { key, cell, ok: true, result, seconds: (performance.now() - t0) / 1000 };
        } catch (e) {
          if (aborted) return;
          line = {
            key,
            cell,
            ok: false,
            error: (e as Error)?.message ?? String(e),
            seconds: (performance.now() - t0) / 1000,
          };
          failed += 1;
        } finally {
          inFlight.delete(controller);
        }
        if (aborted) return;
        // One synchronous append per finished cell: a kill can at worst cut the last line short.
        appendFileSync(out, `${JSON.stringify(line, nonFiniteReplacer)}\n`);
        ran += 1;
        o.onLine?.(line);
        progress.tick(1, key);
      }
    };
    try {
      await Promise.all(Array.from({ length: threads }, runner));
    } finally {
      o.signal?.removeEventListener('abort', stop);
      progress.stop();
      await pool.destroy();
    }
    if (lost) {
      throw new GflowIOError(
        `sweep: lost the lock on ${o.out} while running (${lost.message}); stopped so that no other sweep's cells are doubled. The ${ran} cells finished before that are in the file; run the command again to continue.`,
        { cause: lost },
      );
    }
    return { ran, skipped, failed, aborted };
  } finally {
    if (!lost) await release().catch(() => {});
  }
}
