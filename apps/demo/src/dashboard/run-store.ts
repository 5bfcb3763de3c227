/**
 * The dashboard's runs: one JSON-lines file per run in a log directory, read incrementally.
 * Every byte of a file is read once: the store keeps each file's offset and the unfinished last
 * line, so a line being written is read when its newline arrives. A complete line that is not a
 * step record (corrupt, cut short by a kill and then appended to) is skipped and counted.
 */
import { closeSync, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { basename, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { GflowIOError, InvalidArgumentError } from '@gflow/core';
import { type Finding, nonFiniteReviver, type StepRecord } from '@gflow/diagnostics';

/** A run's name must be usable as a file name: letters, digits, `.`, `_`, `-` (as `dashboardLogger` checks). */
export const RUN_NAME = /^[A-Za-z0-9._-]{1,100}$/;

/** Most bytes read from a file in one go (the rest is read in further chunks). */
const CHUNK = 1 << 20;

/** Keys of `StepRecord.info` that carry the learning rate, in order of preference. */
const LEARNING_RATE_KEYS = ['schedule.learningRate', 'scaleBySchedule.rate', 'learningRate'] as const;

/** The learning rate a record carries in its info, if any. */
export function learningRateOf(r: StepRecord): number | null {
  for (const k of LEARNING_RATE_KEYS) {
    const v = r.info?.[k];
    if (typeof v === 'number') return v;
  }
  return null;
}

/** One run as the dashboard holds it. */
export interface RunState {
  /** The run's name (its file name without `.jsonl`). */
  readonly name: string;
  /** The JSON-lines file. */
  readonly file: string;
  /** Every record read, in file order. */
  records: StepRecord[];
  /** Complete lines skipped because they were not step records. */
  corruptLines: number;
  /** Bytes of the file read so far. */
  offset: number;
  /** The unfinished last line (no newline yet). */
  pending: string;
  /** Decodes UTF-8 across chunk boundaries. */
  decoder: StringDecoder;
  /** The last health check, and the record count it was made at. */
  findings: { readonly at: number; readonly list: readonly Finding[] };
}

/** What `GET /api/runs` returns for one run. */
export interface RunSummary {
  /** The run's name. */
  readonly name: string;
  /** Number of records (steps) read. */
  readonly steps: number;
  /** Complete lines skipped as not being step records. */
  readonly corruptLines: number;
  /** The newest record's numbers, or null before the first record. */
  readonly latest: {
    readonly step: number;
    readonly time: number;
    readonly loss: number | null;
    readonly globalNorm: number;
    readonly learningRate: number | null;
    readonly finite: boolean;
  } | null;
  /** Number of health findings at the last check. */
  readonly findings: number;
}

function isStepRecord(x: unknown): x is StepRecord {
  if (x === null || typeof x !== 'object') return false;
  const r = x as Record<string, unknown>;
  return (
    typeof r.step === 'number' &&
    Number.isInteger(r.step) &&
    typeof r.globalNorm === 'number' &&
    (r.loss === null || typeof r.loss === 'number') &&
    Array.isArray(r.parameters) &&
    (r.taps === undefined || Array.isArray(r.taps))
  );
}

/**
 * Parses one line of a gflow JSON-lines log (NaN and ±∞ written as strings). Every line the
 * dashboard reads, from a file or from `dashboardLogger`, goes through here: a new record kind
 * (e.g. activation-gradient records from a `model.fit` callback) is accepted by extending this
 * one function.
 *
 * @param line - One line, without its newline.
 * @returns The record, or undefined when the line is not a step record.
 */
export function parseRecordLine(line: string): StepRecord | undefined {
  try {
    const x: unknown = JSON.parse(line, nonFiniteReviver);
    return isStepRecord(x) ? x : undefined;
  } catch {
    return undefined;
  }
}

/** Runs read from a log directory: `<dir>/<run>.jsonl`. */
export class RunStore {
  private readonly runs = new Map<string, RunState>();

  /**
   * @param dir - The log directory.
   * @param onRecords - Called with the records read from a run's file, each time some are read;
   *   `from` is the index of the first of them (0 after the file was truncated: start again).
   */
  constructor(
    readonly dir: string,
    private readonly onRecords: (
      run: RunState,
      from: number,
      records: readonly StepRecord[],
    ) => void = () => {},
  ) {}

  /** The runs, sorted by name. */
  list(): RunState[] {
    return [...this.runs.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A run by name, if known. */
  get(name: string): RunState | undefined {
    return this.runs.get(name);
  }

  /**
   * The file of a run (known or not).
   *
   * @throws InvalidArgumentError for a name that cannot be a file name.
   */
  fileOf(name: string): string {
    if (!RUN_NAME.test(name)) {
      throw new InvalidArgumentError(
        `dashboard: a run name must be 1–100 letters, digits, '.', '_' or '-', got "${name.slice(0, 120)}"`,
      );
    }
    return join(this.dir, `${name}.jsonl`);
  }

  /**
   * Reads what is new in every `<run>.jsonl` of the directory.
   *
   * @returns The number of records read.
   * @throws GflowIOError when the directory cannot be listed.
   */
  readAll(): number {
    let files: string[];
    try {
      files = readdirSync(this.dir);
    } catch (e) {
      throw new GflowIOError(
        `dashboard: cannot read the log directory ${this.dir}: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
    let n = 0;
    for (const f of files) if (f.endsWith('.jsonl')) n += this.readFile(join(this.dir, f));
    return n;
  }

  /**
   * Reads what is new in a run's file (from a path in the directory).
   *
   * @param file - `<dir>/<run>.jsonl`; other files are ignored.
   * @returns The number of records read.
   */
  readFile(file: string): number {
    if (!file.endsWith('.jsonl')) return 0;
    const name = basename(file, '.jsonl');
    if (!RUN_NAME.test(name)) return 0;
    let run = this.runs.get(name);
    if (!run) {
      run = {
        name,
        file: join(this.dir, `${name}.jsonl`),
        records: [],
        corruptLines: 0,
        offset: 0,
        pending: '',
        decoder: new StringDecoder('utf8'),
        findings: { at: 0, list: [] },
      };
      this.runs.set(name, run);
    }
    return this.readNew(run);
  }

  private readNew(run: RunState): number {
    let fd: number;
    try {
      fd = openSync(run.file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0; // removed: keep what was read
      throw new GflowIOError(`dashboard: cannot open ${run.file}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    let reset = false;
    const added: StepRecord[] = [];
    try {
      const size = fstatSync(fd).size;
      if (size < run.offset) {
        // The file was truncated or replaced: read it again from the start.
        run.offset = 0;
        run.pending = '';
        run.decoder = new StringDecoder('utf8');
        run.records = [];
        run.corruptLines = 0;
        run.findings = { at: 0, list: [] };
        reset = true;
      }
      const buf = Buffer.alloc(Math.min(CHUNK, Math.max(0, size - run.offset)));
      while (run.offset < size) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, size - run.offset), run.offset);
        if (n <= 0) break;
        run.offset += n;
        const text = run.pending + run.decoder.write(buf.subarray(0, n));
        const lines = text.split('\n');
        run.pending = lines.pop() ?? '';
        for (const line of lines) {
          if (line.trim() === '') continue;
          const r = parseRecordLine(line);
          if (r) added.push(r);
          else run.corruptLines++;
        }
      }
    } finally {
      closeSync(fd);
    }
    if (added.length > 0 || reset) {
      const from = run.records.length;
      for (const r of added) run.records.push(r);
      this.onRecords(run, from, added);
    }
    return added.length;
  }

  /** The summary `GET /api/runs` returns for a run. */
  static summary(run: RunState): RunSummary {
    const last = run.records[run.records.length - 1];
    return {
      name: run.name,
      steps: run.records.length,
      corruptLines: run.corruptLines,
      latest: last
        ? {
            step: last.step,
            time: last.time,
            loss: last.loss,
            globalNorm: last.globalNorm,
            learningRate: learningRateOf(last),
            finite: last.finite,
          }
        : null,
      findings: run.findings.list.length,
    };
  }
}
