import { nodeRequire } from './node-require.js';

type OnExit = (cb: (code: number | null, signal: string | null) => void) => () => void;

/**
 * Runs `flush` when the process ends: on normal exit (the event loop drains or `process.exit`),
 * and on SIGINT, SIGTERM, SIGHUP and the other signals that end a process by default, through
 * `signal-exit` (which re-raises the signal afterwards, so Ctrl-C still stops the process with
 * its usual exit status). `flush` must be synchronous: nothing asynchronous runs after `exit`.
 * A process killed by SIGKILL (or a crash of the runtime itself) runs nothing.
 *
 * @returns A function that removes the hook (call it from the logger's `close`).
 * @internal
 */
export function flushOnExit(fn: string, flush: () => void): () => void {
  const { onExit } = nodeRequire(fn)('signal-exit') as { onExit: OnExit };
  return onExit(() => {
    try {
      flush();
    } catch {
      // The process is ending; a failed flush must not replace its exit status.
    }
  });
}
