/**
 * `gflow worker --queue`: takes sweep cells from the Redis queue and measures them in the local
 * worker pool (tinypool, one TensorFlow.js engine per thread), as many at once as it has threads.
 *
 * While a cell runs, BullMQ renews the job's lock every `stallTimeout / 2` from this process's
 * main thread (the measurement runs in a pool thread, so a long cell never starves the renewal).
 * A worker that dies (kill -9, a machine gone) stops renewing; after `stallTimeout` another
 * worker's stalled-job check puts the cell back in the queue, and it is measured again elsewhere.
 */
import { hostname } from 'node:os';
import { nonFiniteReplacer } from '@gflow/diagnostics';
import { type Job, Worker } from 'bullmq';
import { Tinypool } from 'tinypool';
import type { EngineFlag } from '../program.js';
import { SWEEP_WORKER_URL, type SweepTask } from '../sweep.js';
import { type CellJobData, type CellJobResult, DEFAULT_QUEUE_NAME, QUEUE_PREFIX } from './queue-sweep.js';
import { probeRedis, type RedisTarget } from './redis.js';

/** How often a cell that stalls (its worker died) may be put back before it counts as failed. */
export const MAX_STALLS = 3;

/** Options of {@link runQueueWorker}. */
export interface QueueWorkerOptions {
  /** The queue's Redis. */
  readonly target: RedisTarget;
  /** The queue (default {@link DEFAULT_QUEUE_NAME}). */
  readonly queueName?: string;
  /** Cells measured at once (pool threads). */
  readonly workers: number;
  /** Engine each pool thread starts. */
  readonly engine: EngineFlag;
  /** Seconds without a lock renewal after which a cell counts as stalled (default 30). */
  readonly stallTimeout?: number;
  /** Stop after this many cells. */
  readonly maxCells?: number;
  /** The pool's worker module (default: the compiled `sweep-worker.js`). */
  readonly workerFile?: string | URL;
  /** Stops the worker: running cells finish first, then it returns. */
  readonly signal?: AbortSignal;
  /** Where progress lines go (default stderr). */
  readonly log?: (line: string) => void;
}

/** What {@link runQueueWorker} did. */
export interface QueueWorkerSummary {
  /** Cells measured. */
  readonly done: number;
  /** Attempts that failed (each is retried or recorded by the coordinator). */
  readonly failed: number;
}

/**
 * Runs a queue worker until `signal` aborts or `maxCells` cells are done.
 *
 * @param o - Queue, pool size, engine, stall timeout.
 * @returns Counts of cells done and attempts failed.
 * @throws GflowIOError when Redis cannot be reached at the start.
 */
export async function runQueueWorker(o: QueueWorkerOptions): Promise<QueueWorkerSummary> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  await probeRedis('gflow worker', o.target);
  const id = `${hostname()}:${process.pid}`;
  const threads = Math.max(1, o.workers);
  const filename = (o.workerFile ?? SWEEP_WORKER_URL).toString();
  const pool = new Tinypool({ filename, minThreads: threads, maxThreads: threads, isolateWorkers: false });
  const stallMs = Math.round((o.stallTimeout ?? 30) * 1000);
  let done = 0;
  let failed = 0;
  let finish: (() => void) | undefined;
  const finished = new Promise<void>((res) => {
    finish = res;
  });
  const worker = new Worker<CellJobData, string>(
    o.queueName ?? DEFAULT_QUEUE_NAME,
    async (job: Job<CellJobData, string>) => {
      log(`worker ${id}: started cell ${job.data.key} (attempt ${job.attemptsMade + 1})`);
      const t0 = performance.now();
      const task: SweepTask = { cell: job.data.cell, engine: o.engine };
      const result: unknown = await pool.run(task);
      const r: CellJobResult = { result, seconds: (performance.now() - t0) / 1000, worker: id };
      return JSON.stringify(r, nonFiniteReplacer);
    },
    {
      connection: { ...o.target.connection, maxRetriesPerRequest: null },
      prefix: QUEUE_PREFIX,
      concurrency: threads,
      lockDuration: stallMs,
      stalledInterval: stallMs,
      maxStalledCount: MAX_STALLS,
      name: id,
      autorun: false,
    },
  );
  const stop = (): void => finish?.();
  worker.on('completed', (job) => {
    done += 1;
    log(`worker ${id}: finished cell ${job.data.key}`);
    if (o.maxCells !== undefined && done + failed >= o.maxCells) stop();
  });
  worker.on('failed', (job, err) => {
    failed += 1;
    log(`worker ${id}: cell ${job?.data.key ?? '?'} failed: ${err.message}`);
    if (o.maxCells !== undefined && done + failed >= o.maxCells) stop();
  });
  let error: Error | undefined;
  worker.on('error', (e) => {
    // Connection trouble: ioredis reconnects by itself; a lasting outage is reported once.
    if (!error) log(`worker ${id}: queue error: ${e.message} (retrying)`);
    error = e;
  });
  o.signal?.addEventListener('abort', stop, { once: true });
  if (o.signal?.aborted) stop();
  log(
    `worker ${id}: taking cells from ${o.queueName ?? DEFAULT_QUEUE_NAME} on ${o.target.display} with ${threads} thread(s)`,
  );
  const running = worker.run();
  try {
    await finished;
  } finally {
    o.signal?.removeEventListener('abort', stop);
    // close() lets the cells already running finish and report before it resolves.
    await worker.close();
    await running.catch(() => {});
    await pool.destroy();
  }
  return { done, failed };
}
