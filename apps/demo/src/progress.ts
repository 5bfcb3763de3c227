/**
 * Progress with an ETA, drawn by cli-progress on stderr. On a terminal the bar redraws in place;
 * elsewhere (CI logs) cli-progress prints a line every few seconds. `quiet` turns it off (tests).
 *
 * The line is formatted here, not by cli-progress's template: its ETA is a moving-window rate
 * that turns into the strings "NULL"/"INF" (drawn as "LLs"/"NFs") whenever no step finished in
 * the window, and its time format rounds seconds after splitting off the minutes ("1m60s").
 */
import cliProgress from 'cli-progress';

/** A progress bar over a known number of steps. */
export interface Progress {
  /** Marks `n` more steps done and names what runs next. */
  tick(n: number, task: string): void;
  /** Names the current task without advancing. */
  task(task: string): void;
  /** Grows the total (when the amount of work becomes known). */
  setTotal(total: number): void;
  /** Stops drawing. */
  stop(): void;
}

/**
 * Formats a duration for the progress line: whole seconds below a minute (`42s`), minutes and
 * seconds below an hour (`12m05s`), hours and minutes above (`3h07m`). The value is rounded to
 * the unit shown last *before* it is split, so a carry goes into the larger unit: 59.6 s is
 * `1m00s`, 119.7 s is `2m00s`, 3599.5 s is `1h00m`.
 *
 * @param seconds - The duration; `null`, `undefined`, NaN, ±Infinity or a negative value mean
 *   the duration is not known.
 * @returns The text, or `unknown`.
 */
export function formatDuration(seconds: number | null | undefined): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return 'unknown';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const m = Math.round(seconds / 60);
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * Estimates the time left from the mean rate since the start: elapsed · (total − done) / done.
 * The mean over the whole run (not a moving window) stays defined while a slow step runs.
 *
 * @param elapsedSeconds - Time since the bar started.
 * @param done - Steps finished.
 * @param total - Steps in all.
 * @returns Seconds left (0 when every step is done), or `null` before the first step finishes.
 */
export function estimateSecondsLeft(elapsedSeconds: number, done: number, total: number): number | null {
  if (!(done > 0) || !Number.isFinite(elapsedSeconds) || elapsedSeconds < 0) return null;
  if (done >= total) return 0;
  return (elapsedSeconds * (total - done)) / done;
}

/**
 * Starts a progress bar.
 *
 * @param total - Number of steps.
 * @param opts - `quiet` draws nothing; `label` prefixes the bar; `stream` replaces stderr.
 * @returns The bar.
 */
export function startProgress(
  total: number,
  opts: { quiet?: boolean; label?: string; stream?: NodeJS.WritableStream } = {},
): Progress {
  if (opts.quiet) {
    return { tick: () => {}, task: () => {}, setTotal: () => {}, stop: () => {} };
  }
  const label = opts.label ?? 'gflow';
  const format: cliProgress.GenericFormatter = (options, params, payload) => {
    const elapsed = ((params.stopTime ?? Date.now()) - params.startTime) / 1000;
    const eta = estimateSecondsLeft(elapsed, params.value, params.total);
    const bar = cliProgress.Format.BarFormat(params.progress, options);
    const task = typeof payload?.task === 'string' ? payload.task : '';
    return `${label} ${bar} ${Math.floor(params.progress * 100)}% | ${params.value}/${params.total} | elapsed ${formatDuration(elapsed)} | ETA ${formatDuration(eta)} | ${task}`;
  };
  const bar = new cliProgress.SingleBar(
    {
      format,
      stream: opts.stream ?? process.stderr,
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { task: 'starting' });
  return {
    tick: (n, task) => bar.increment(n, { task }),
    task: (task) => bar.update({ task }),
    setTotal: (t) => bar.setTotal(t),
    stop: () => bar.stop(),
  };
}
