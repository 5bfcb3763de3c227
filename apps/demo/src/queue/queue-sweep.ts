/**
 * `gflow sweep --queue`: the coordinator of a sweep measured by `gflow worker`s on any number of
 * machines, through a Redis-backed BullMQ queue.
 *
 * Every cell not yet in `--out` becomes a job whose id is a hash of its key, so enqueuing is
 * idempotent: a restarted coordinator, or a second one on the same queue and grid, adds nothing
 * that is already queued, running or finished. Finished jobs are kept in Redis (with their
 * results) until collected, so a coordinator that was stopped re-attaches and writes only the
 * cells missing from `--out`. Each result is written once, by the one coordinator holding the
 * lock on `--out`, in the local sweep's JSON-lines format.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { GflowIOError } from '@gflow/core';
import { nonFiniteReplacer, nonFiniteReviver } from '@gflow/diagnostics';
import { type Job, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { startProgress } from '../progress.js';
import { lockResultsFile, repairLastLine } from '../results-file.js';
import { cellKey, type SweepCell, type SweepLine } from '../sweep.js';
import { probeRedis, type RedisTarget } from './redis.js';

/** The Redis key prefix of gflow's queues (BullMQ's default is `bull`). */
export const QUEUE_PREFIX = 'gflow';
/** The queue used when `--queue-name` is not given. */
export const DEFAULT_QUEUE_NAME = 'gflow-sweep';

/** What a job carries: the cell and its key (the worker chooses its own engine). */
export interface CellJobData {
  /** The cell's stable key ({@link cellKey}). */
  readonly key: string;
  /** The cell. */
  readonly cell: SweepCell;
}

/** What a worker returns for a job: JSON text (NaN and ±∞ kept as strings by `nonFiniteReplacer`). */
export interface CellJobResult {
  /** The measurement. */
  readonly result: unknown;
  /** Seconds the measurement took on the worker. */
  readonly seconds: number;
  /** The worker that measured it (`host:pid`). */
  readonly worker: string;
}

/**
 * The job id of a cell: a hash of its key (ids must be stable across coordinators and free of the
 * `:` that BullMQ reserves).
 *
 * @param key - The cell's key.
 * @returns `c` followed by 32 hex digits.
 */
export function jobIdOf(key: string): string {
  return `c${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
}

/** Options of {@link runQueueSweep}. */
export interface QueueSweepOptions {
  /** The grid. */
  readonly cells: readonly SweepCell[];
  /** Results file (JSON lines, appended). */
  readonly out: string;
  /** The queue's Redis. */
  readonly target: RedisTarget;
  /** The queue's name (default {@link DEFAULT_QUEUE_NAME}). */
  readonly queueName?: string;
  /** Tries per cell before it is recorded as failed (default 3). */
  readonly attempts?: number;
  /** Draw no progress bar. */
  readonly quiet?: boolean;
  /** Called after each cell's line is written. */
  readonly onLine?: (line: SweepLine) => void;
  /** Stops following (the jobs stay queued; run the command again to collect them). */
  readonly signal?: AbortSignal;
  /** Where notes go; default: a line on stderr. */
  readonly note?: (message: string) => void;
  /**
   * Milliseconds without a completion event after which every pending cell is checked again
   * (default 5000): a safety net for a missed event. While events arrive, only their cells are
   * checked.
   */
  readonly reconcileMs?: number;
}

/** What {@link runQueueSweep} did. */
export interface QueueSweepSummary {
  /** Cells whose results this run wrote. */
  readonly collected: number;
  /** Cells this run added to the queue (the rest were queued, running or done already). */
  readonly enqueued: number;
  /** Cells skipped because the results file already had them. */
  readonly skipped: number;
  /** Cells written as failed (every attempt failed). */
  readonly failed: number;
  /** Whether the run stopped before every cell was written. */
  readonly aborted: boolean;
}

/** Every key with a line in the file, finished or failed: in queue mode both are final. */
function writtenKeys(file: string): Set<string> {
  const keys = new Set<string>();
  if (!existsSync(file)) return keys;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const parsed = JSON.parse(line, nonFiniteReviver) as SweepLine;
      if (parsed && typeof parsed.key === 'string') keys.add(parsed.key);
    } catch {
      // A line that does not parse is not a result: its cell is collected again.
    }
  }
  return keys;
}

/**
 * Enqueues the cells missing from `out` and writes each one's result there as workers finish it.
 * A cell whose every attempt failed is written once with `ok: false` and its last error (and,
 * unlike the local sweep, is not retried by a later run: remove its line to try it again).
 *
 * @param o - Grid, file, queue.
 * @returns Counts of what was enqueued, collected, skipped, failed.
 * @throws GflowIOError when Redis cannot be reached, another sweep holds the lock on `out`, or
 *   the lock is lost mid-run.
 */
export async function runQueueSweep(o: QueueSweepOptions): Promise<QueueSweepSummary> {
  const fn = 'gflow sweep --queue';
  const out = resolve(o.out);
  const note = o.note ?? ((m: string) => process.stderr.write(`${m}\n`));
  const name = o.queueName ?? DEFAULT_QUEUE_NAME;
  const attempts = o.attempts ?? 3;
  await mkdir(dirname(out), { recursive: true });
  await probeRedis(fn, o.target);
  let lost: Error | undefined;
  let wake: (() => void) | undefined;
  const release = await lockResultsFile(out, {
    onCompromised: (err) => {
      lost = err;
      wake?.();
    },
  });
  const connection = { ...o.target.connection, maxRetriesPerRequest: null };
  const queue = new Queue<CellJobData, string>(name, { connection, prefix: QUEUE_PREFIX });
  const events = new QueueEvents(name, { connection, prefix: QUEUE_PREFIX });
  const redis = new Redis(connection);
  const errors: Error[] = [];
  redis.on('error', (e) => errors.push(e));
  queue.on('error', (e) => errors.push(e));
  events.on('error', (e) => errors.push(e));
  try {
    const repair = repairLastLine(out);
    if (repair.kind === 'truncated')
      note(
        `sweep: the last line of ${o.out} was cut short (a killed sweep?); removed that incomplete line (${repair.removedBytes} bytes), and its cell is collected again.`,
      );
    const written = writtenKeys(out);
    const todo = o.cells.filter((c) => !written.has(cellKey(c)));
    const skipped = o.cells.length - todo.length;
    if (todo.length === 0) return { collected: 0, enqueued: 0, skipped, failed: 0, aborted: false };

    const pending = new Map<string, { key: string; cell: SweepCell }>();
    for (const cell of todo) pending.set(jobIdOf(cellKey(cell)), { key: cellKey(cell), cell });
    // Listen before enqueuing, so that no completion between the two is missed.
    const dirty = new Set<string>();
    const reconcileMs = o.reconcileMs ?? 5000;
    let nextFull = 0;
    const mark = ({ jobId }: { jobId: string }): void => {
      nextFull = Date.now() + reconcileMs; // events are flowing: no full check needed yet
      if (pending.has(jobId)) {
        dirty.add(jobId);
        wake?.();
      }
    };
    events.on('completed', mark);
    events.on('failed', mark);
    await events.waitUntilReady();

    let enqueued = 0;
    const ids = [...pending.keys()];
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      // Count what is new (for the summary); adding an id already present is a no-op in BullMQ.
      const pipe = redis.pipeline();
      for (const id of chunk) pipe.exists(queue.toKey(id));
      const exists = (await pipe.exec()) ?? [];
      enqueued += exists.filter(([, v]) => v !== 1).length;
      await queue.addBulk(
        chunk.map((id) => {
          const p = pending.get(id) as { key: string; cell: SweepCell };
          return {
            name: 'cell',
            data: { key: p.key, cell: p.cell },
            opts: {
              jobId: id,
              attempts,
              backoff: { type: 'fixed', delay: 1000 },
              removeOnComplete: false,
              removeOnFail: false,
            },
          };
        }),
      );
    }

    const progress = startProgress(todo.length, { quiet: o.quiet ?? false, label: 'sweep' });
    if (!o.quiet) {
      if (skipped > 0) progress.task(`resuming: ${skipped} cells already in ${o.out}`);
      progress.task(`queue ${name} on ${o.target.display}: waiting for workers (gflow worker --queue …)`);
    }
    let collected = 0;
    let failed = 0;
    const collect = async (id: string): Promise<void> => {
      const p = pending.get(id);
      if (!p) return;
      const state = await queue.getJobState(id);
      if (state !== 'completed' && state !== 'failed') return;
      const job = (await queue.getJob(id)) as Job<CellJobData, string> | undefined;
      if (!job || !pending.has(id)) return;
      let line: SweepLine;
      if (state === 'completed') {
        const r = JSON.parse(job.returnvalue, nonFiniteReviver) as CellJobResult;
        line = {
          key: p.key,
          cell: p.cell,
          ok: true,
          result: r.result,
          seconds: r.seconds,
          worker: r.worker,
        } as SweepLine;
      } else {
        line = {
          key: p.key,
          cell: p.cell,
          ok: false,
          error: `${job.failedReason} (after ${job.attemptsMade} attempts)`,
          seconds: job.finishedOn && job.processedOn ? (job.finishedOn - job.processedOn) / 1000 : 0,
        };
        failed += 1;
      }
      pending.delete(id);
      appendFileSync(out, `${JSON.stringify(line, nonFiniteReplacer)}\n`);
      collected += 1;
      o.onLine?.(line);
      progress.tick(1, p.key);
    };

    let aborted = false;
    const onAbort = (): void => {
      aborted = true;
      wake?.();
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    if (o.signal?.aborted) aborted = true;
    let full = true; // a full check first: jobs may have finished while no coordinator ran
    try {
      while (!aborted && !lost && pending.size > 0) {
        if (errors.length > 0) throw errors[0];
        const now = Date.now();
        let batch: string[];
        if (full || now >= nextFull) {
          batch = [...pending.keys()].slice(0, 5000);
          nextFull = now + reconcileMs;
          full = false;
        } else {
          batch = [...dirty];
        }
        dirty.clear();
        for (const id of batch) await collect(id);
        if (pending.size === 0 || aborted || lost) break;
        await new Promise<void>((res) => {
          const t = setTimeout(res, Math.max(10, Math.min(reconcileMs, nextFull - Date.now())));
          wake = () => {
            clearTimeout(t);
            res();
          };
          if (dirty.size > 0 || aborted || lost) wake();
        });
        wake = undefined;
      }
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
      progress.stop();
    }
    if (lost) {
      throw new GflowIOError(
        `sweep: lost the lock on ${o.out} while collecting (${lost.message}); stopped so that no result is written twice. The ${collected} results collected before that are in the file; run the command again to collect the rest (the workers keep going).`,
        { cause: lost },
      );
    }
    return { collected, enqueued, skipped, failed, aborted };
  } catch (e) {
    if (e instanceof GflowIOError) throw e;
    throw new GflowIOError(
      `${fn}: the queue on ${o.target.display} failed: ${(e as Error)?.message ?? String(e)}`,
      {
        cause: e,
      },
    );
  } finally {
    await Promise.allSettled([events.close(), queue.close(), redis.quit()]);
    if (!lost) await release().catch(() => {});
  }
}

/** A queue's state as `--status` prints it. */
export interface QueueStatus {
  /** Jobs per state (waiting, active, completed, failed, delayed, …). */
  readonly counts: Readonly<Record<string, number>>;
  /** Workers connected now, by name (`host:pid`). */
  readonly workers: readonly string[];
}

/**
 * Reads a queue's counts and connected workers.
 *
 * @param target - The queue's Redis.
 * @param queueName - The queue.
 * @returns Counts per state and the workers connected now.
 * @throws GflowIOError when Redis cannot be reached.
 */
export async function queueStatus(target: RedisTarget, queueName = DEFAULT_QUEUE_NAME): Promise<QueueStatus> {
  await probeRedis('gflow sweep --status', target);
  const queue = new Queue(queueName, {
    connection: { ...target.connection, maxRetriesPerRequest: null },
    prefix: QUEUE_PREFIX,
  });
  queue.on('error', () => {});
  try {
    const counts = await queue.getJobCounts(
      'waiting',
      'active',
      'completed',
      'failed',
      'delayed',
      'prioritized',
    );
    // A named worker's client is `…:w:NAME`; NAME is `host:pid` (see runQueueWorker).
    const workers = (await queue.getWorkers()).map((w) => {
      const raw = String(w.rawname ?? '');
      const i = raw.indexOf(':w:');
      return i >= 0 ? raw.slice(i + 3) : String(w.addr ?? 'unnamed');
    });
    return { counts, workers };
  } finally {
    await queue.close();
  }
}
