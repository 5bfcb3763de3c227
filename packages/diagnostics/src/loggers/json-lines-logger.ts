import { describeValue, InvalidArgumentError } from '@gflow/core';
import { openAppendFile } from '../internal/append-file.js';
import { checkInteger } from '../internal/validate.js';
import { nonFiniteReplacer } from '../json.js';
import type { StepRecord } from '../step-record.js';
import type { StepLogger } from './step-logger.js';

/** Options of {@link jsonLinesLogger}. */
export interface JsonLinesLoggerOptions {
  /**
   * Write to the file every this many records (default 1: each record is written before `log`
   * returns, so nothing is lost even when the process is killed). With n > 1 the records wait in
   * memory; they are written on `close()`, on process exit and on SIGINT/SIGTERM, and a process
   * killed with SIGKILL loses at most the last n − 1.
   */
  readonly flushEvery?: number;
}

/**
 * Writes every {@link StepRecord} as one line of JSON: to a file (appended, Node only) or to a
 * callback (anywhere, e.g. `console.log` or a WebSocket). NaN and ±∞ are written as the strings
 * `"NaN"`, `"Infinity"`, `"-Infinity"` ({@link nonFiniteReplacer}; read them back with
 * `JSON.parse(line, nonFiniteReviver)`), so they stay distinct from `null` ("no gradient").
 *
 * The file is written through `sonic-boom` in synchronous mode (one `write(2)` per record by
 * default) and flushed on `close()`, on process exit and on SIGINT/SIGTERM, so a run stopped at
 * any point keeps every record it logged.
 *
 * @param sink - A file path, or a function called with each line (without the newline).
 * @param options - How many records to hold before writing to a file.
 * @returns A logger; `close()` writes what is held and closes the file (a `GradientMonitor`'s
 *   `dispose()` calls it).
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
  const flushEvery = checkInteger('jsonLinesLogger', 'options.flushEvery', options.flushEvery ?? 1, 1);
  if (typeof sink === 'function') {
    return { log: (r: StepRecord) => sink(JSON.stringify(r, nonFiniteReplacer)) };
  }
  if (typeof sink !== 'string' || sink === '') {
    throw new InvalidArgumentError(
      `jsonLinesLogger: sink must be a file path or a function (line) => void, got ${describeValue(sink)}`,
    );
  }
  const file = openAppendFile('jsonLinesLogger', sink, { buffered: flushEvery > 1, binary: false });
  let held = 0;
  return {
    log(r: StepRecord) {
      file.write(`${JSON.stringify(r, nonFiniteReplacer)}\n`);
      if (flushEvery > 1 && ++held >= flushEvery) {
        file.flush();
        held = 0;
      }
    },
    close: () => file.close(),
  };
}
