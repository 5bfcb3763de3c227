import { describeValue, InvalidArgumentError } from '@gflow/core';
import { nodeFs } from '../internal/node-fs.js';
import { checkInteger } from '../internal/validate.js';
import { nonFiniteReplacer } from '../json.js';
import type { StepRecord } from '../step-record.js';
import type { StepLogger } from './step-logger.js';

/** Options of {@link jsonLinesLogger}. */
export interface JsonLinesLoggerOptions {
  /** Records buffered before a write to the file (default 50; 1 writes every record at once). */
  readonly flushEvery?: number;
}

/**
 * Writes every {@link StepRecord} as one line of JSON: to a file (appended, Node only) or to a
 * callback (anywhere, e.g. `console.log` or a WebSocket). NaN and ±∞ are written as the strings
 * `"NaN"`, `"Infinity"`, `"-Infinity"` ({@link nonFiniteReplacer}; read them back with
 * `JSON.parse(line, nonFiniteReviver)`), so they stay distinct from `null` ("no gradient").
 *
 * @param sink - A file path, or a function called with each line (without the newline).
 * @param options - How many records to buffer before writing to a file.
 * @returns A logger; call `close()` to write what is buffered.
 * @throws InvalidArgumentError (from `@gflow/core`) for a sink that is neither, or options that are
 *   not an object; UnsupportedError
 *   when a path is given outside Node.
 * @example
 * ```ts
 * const monitor = new GradientMonitor({ loggers: [jsonLinesLogger('run.jsonl')] });
 * // … train …
 * monitor.history(); // also in run.jsonl, one record per line
 * ```
 * @see https://jsonlines.org
 */
export function jsonLinesLogger(
  sink: string | ((line: string) => void),
  options: JsonLinesLoggerOptions = {},
): StepLogger {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(
      `jsonLinesLogger: options must be an object, got ${describeValue(options)}`,
    );
  }
  const flushEvery = checkInteger('jsonLinesLogger', 'options.flushEvery', options.flushEvery ?? 50, 1);
  if (typeof sink === 'function') {
    return { log: (r: StepRecord) => sink(JSON.stringify(r, nonFiniteReplacer)) };
  }
  if (typeof sink !== 'string' || sink === '') {
    throw new InvalidArgumentError(
      `jsonLinesLogger: sink must be a file path or a function (line) => void, got ${describeValue(sink)}`,
    );
  }
  const fs = nodeFs('jsonLinesLogger');
  let buffer: string[] = [];
  const flush = () => {
    if (buffer.length === 0) return;
    fs.appendFileSync(sink, buffer.join(''));
    buffer = [];
  };
  return {
    log(r: StepRecord) {
      buffer.push(`${JSON.stringify(r, nonFiniteReplacer)}\n`);
      if (buffer.length >= flushEvery) flush();
    },
    close: flush,
  };
}
