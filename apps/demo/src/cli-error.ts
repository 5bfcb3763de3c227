/** How the `gflow` command prints an error: one paragraph, no stack unless asked. */
import { GflowError } from '@gflow/core';

/**
 * Formats an error for the terminal as one paragraph. A `GflowError` (bad input, a broken model
 * file) prints its message; anything else is labelled an unexpected error. The stack is added
 * only with `debug` (GFLOW_DEBUG=1).
 *
 * @param e - What was thrown.
 * @param debug - Append the stack trace.
 * @returns The text to write to stderr, ending in a newline.
 */
export function formatCliError(e: unknown, debug = false): string {
  const msg = e instanceof Error ? e.message : String(e);
  const kind = e instanceof GflowError ? '' : 'unexpected error: ';
  const line = `gflow: ${kind}${msg.replace(/\s*\n\s*/g, ' ').trim()}\n`;
  return debug && e instanceof Error && e.stack ? `${line}${e.stack}\n` : line;
}
