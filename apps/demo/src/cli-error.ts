/** How the `gflow` command prints an error: one paragraph, no stack unless asked. */
import { GflowError } from '@gflow/core';

/** Lists longer than this many items are cut by {@link shortenLists}. */
export const LIST_LIMIT = 8;
/** How many items {@link shortenLists} keeps of a list it cuts. */
export const LIST_KEEP = 5;
/** Messages longer than this many characters are cut by {@link formatCliError} (unless debugging). */
export const MESSAGE_LIMIT = 2000;

// A list: at least LIST_LIMIT + 1 items without spaces, commas or brackets, separated by a comma
// and at most one space ("a,b,c" as tfjs writes weight names, "a, b, c" as people do).
const LIST = new RegExp(`[^\\s,\\[\\]()]+(?:, ?[^\\s,\\[\\]()]+){${LIST_LIMIT},}`, 'g');

/**
 * Cuts every comma-separated list of more than {@link LIST_LIMIT} items in a message to its first
 * {@link LIST_KEEP} items and a count: `a, b, c, d, e … and 394 more`. Meant for messages that
 * quote another library's text (tfjs names every one of 40,000 weights it could not set).
 *
 * @param text - The message.
 * @returns The message with long lists cut.
 */
export function shortenLists(text: string): string {
  return text.replace(LIST, (list) => {
    // A full stop (or other mark) after the last item ends the sentence: keep it.
    const end = /[.;:!?]+$/.exec(list)?.[0] ?? '';
    const items = list.slice(0, list.length - end.length).split(/, ?/);
    return `${items.slice(0, LIST_KEEP).join(', ')} … and ${items.length - LIST_KEEP} more${end}`;
  });
}

/**
 * Formats an error for the terminal as one paragraph. A `GflowError` (bad input, a broken model
 * file) prints its message; anything else is labelled an unexpected error and has its long lists
 * cut ({@link shortenLists}). A paragraph longer than {@link MESSAGE_LIMIT} characters is cut
 * with a count. With `debug` (GFLOW_DEBUG=1) nothing is cut and the stack is added.
 *
 * @param e - What was thrown.
 * @param debug - Print the whole message and append the stack trace.
 * @returns The text to write to stderr, ending in a newline.
 */
export function formatCliError(e: unknown, debug = false): string {
  const msg = e instanceof Error ? e.message : String(e);
  const gflow = e instanceof GflowError;
  const kind = gflow ? '' : 'unexpected error: ';
  let text = msg.replace(/\s*\n\s*/g, ' ').trim();
  if (!debug) {
    if (!gflow) text = shortenLists(text);
    if (text.length > MESSAGE_LIMIT) {
      text = `${text.slice(0, MESSAGE_LIMIT)} … (${text.length - MESSAGE_LIMIT} more characters; GFLOW_DEBUG=1 prints them)`;
    }
  }
  const line = `gflow: ${kind}${text}\n`;
  return debug && e instanceof Error && e.stack ? `${line}${e.stack}\n` : line;
}
