/**
 * Progress with an ETA, drawn by cli-progress on stderr. On a terminal the bar redraws in place;
 * elsewhere (CI logs) cli-progress prints a line every few seconds. `quiet` turns it off (tests).
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
 * Starts a progress bar.
 *
 * @param total - Number of steps.
 * @param opts - `quiet` draws nothing; `label` prefixes the bar.
 * @returns The bar.
 */
export function startProgress(total: number, opts: { quiet?: boolean; label?: string } = {}): Progress {
  if (opts.quiet) {
    return { tick: () => {}, task: () => {}, setTotal: () => {}, stop: () => {} };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `${opts.label ?? 'gflow'} {bar} {percentage}% | {value}/{total} | elapsed {duration_formatted} | ETA {eta_formatted} | {task}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 20,
      etaAsynchronousUpdate: true,
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
