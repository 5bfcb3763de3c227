import { describeValue, InvalidArgumentError } from '@gflow/core';
import { checkInteger } from '../internal/validate.js';
import { nonFiniteReplacer } from '../json.js';
import type { StepRecord } from '../step-record.js';
import type { StepLogger } from './step-logger.js';

/** Options of {@link dashboardLogger}. */
export interface DashboardLoggerOptions {
  /** The run's name: its file on the server is `<logdir>/<run>.jsonl` (letters, digits, `.`, `_`, `-`; at most 100). */
  readonly run: string;
  /** Where `gflow dashboard` listens (default `http://127.0.0.1:6006`). */
  readonly url?: string;
  /** Most records sent in one request (default 500); more wait for the next request. */
  readonly maxBatch?: number;
  /** Called once with the first failure (default: one `console.warn`); training goes on either way. */
  readonly onError?: (error: unknown) => void;
}

/** A {@link StepLogger} that streams records to a `gflow dashboard` server. */
export interface DashboardLogger extends StepLogger {
  /** Resolves when every record logged so far has been answered by the server (or given up on). */
  flush(): Promise<void>;
  /** Records the server has accepted. */
  readonly sent: number;
  /** Records lost because a request failed (server down, refused, timed out). */
  readonly failed: number;
}

const RUN_NAME = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * Streams every {@link StepRecord} of a running script to a `gflow dashboard` server: each record
 * becomes one JSON line (NaN and ±∞ as the strings `"NaN"`, `"Infinity"`, as in
 * `jsonLinesLogger`), POSTed to `<url>/api/runs/<run>/records`, where the server appends it to
 * `<logdir>/<run>.jsonl` (the on-disk format) and pushes it to every open page.
 *
 * `log` never blocks and never throws: records are queued and sent in order, one request at a
 * time, as soon as the event loop runs (between `model.fit` batches, or at any `await` in a
 * hand-written loop). If the server cannot be reached the records are counted in `failed`, one
 * warning is printed, and training goes on. A killed process loses the records not yet sent; to
 * keep every record on disk as well, add a `jsonLinesLogger` next to this one. `close()` sends
 * what is queued; `await flush()` waits for it.
 *
 * @param options - The run name, the server's URL, the batch size and an error callback.
 * @returns A logger with `flush()`, `sent` and `failed`.
 * @throws InvalidArgumentError (from `@gflow/core`) for a run name that cannot be a file name, a URL
 *   that is not http(s), or a `maxBatch` < 1. Sending needs the global `fetch` (Node ≥ 18,
 *   browsers); without it every record is counted as failed.
 * @example
 * ```ts
 * // in one terminal: gflow dashboard --logdir runs
 * const live = dashboardLogger({ run: 'adam-lr3' });
 * const monitor = new GradientMonitor({ loggers: [live, jsonLinesLogger('runs/adam-lr3.jsonl')] });
 * const state = createTrainState();
 * for (let i = 0; i < 300; i++) {
 *   trainStep(model, task.batch(32), state, { optimizer, monitor, taps: true });
 *   await tf.nextFrame(); // lets the logger send
 * }
 * await live.flush();
 * ```
 * @see https://jsonlines.org ; Biewald, "Experiment Tracking with Weights and Biases" (wandb.watch)
 */
export function dashboardLogger(options: DashboardLoggerOptions): DashboardLogger {
  // Kept whole: the returned logger's log, flush and close share the closure's queue, in-flight request, failure count and one-time warning; the options are checked at the top because the endpoint they give is part of that state.
  const fn = 'dashboardLogger';
  if (options == null || typeof options !== 'object') {
    throw new InvalidArgumentError(
      `${fn}: options must be an object with a run name, got ${describeValue(options)}`,
    );
  }
  const { run } = options;
  if (typeof run !== 'string' || !RUN_NAME.test(run)) {
    throw new InvalidArgumentError(
      `${fn}: options.run must be 1–100 letters, digits, '.', '_' or '-' (it names a file), got ${describeValue(run)}`,
    );
  }
  const base = options.url ?? 'http://127.0.0.1:6006';
  let endpoint: string;
  try {
    const u = new URL(base);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
    endpoint = new URL(`api/runs/${run}/records`, u.href.endsWith('/') ? u.href : `${u.href}/`).href;
  } catch {
    throw new InvalidArgumentError(
      `${fn}: options.url must be an http(s) URL such as http://127.0.0.1:6006, got ${describeValue(base)}`,
    );
  }
  const maxBatch = checkInteger(fn, 'options.maxBatch', options.maxBatch ?? 500, 1);
  const onError =
    options.onError ??
    ((e: unknown) => {
      console.warn(
        `${fn}: could not send records to ${endpoint} (${e instanceof Error ? e.message : String(e)}); training goes on, records are counted as failed.`,
      );
    });

  let queue: string[] = [];
  let sending: Promise<void> | undefined;
  let sent = 0;
  let failed = 0;
  let warned = false;

  const post = async (lines: string[]): Promise<void> => {
    try {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: `${lines.join('\n')}\n`,
      });
      if (!res.ok) throw new Error(`HTTP ${res.status} ${await res.text()}`);
      await res.arrayBuffer().catch(() => undefined);
      sent += lines.length;
    } catch (e) {
      failed += lines.length;
      if (!warned) {
        warned = true;
        onError(e);
      }
    }
  };

  const pump = (): Promise<void> => {
    if (sending) return sending;
    if (queue.length === 0) return Promise.resolve();
    sending = (async () => {
      while (queue.length > 0) {
        const lines = queue.slice(0, maxBatch);
        queue = queue.slice(lines.length);
        await post(lines);
      }
    })().finally(() => {
      sending = undefined;
    });
    return sending;
  };

  return {
    log(record: StepRecord) {
      queue.push(JSON.stringify(record, nonFiniteReplacer));
      // Sent from the event loop, so that `log` returns at once and the step is not slowed.
      if (!sending) setTimeout(() => void pump(), 0);
    },
    close() {
      void pump();
    },
    async flush() {
      while (sending || queue.length > 0) await pump();
    },
    get sent() {
      return sent;
    },
    get failed() {
      return failed;
    },
  };
}
