import { describeValue, InvalidArgumentError } from '@gflow/core';
import { openAppendFile } from '../internal/append-file.js';
import { fileVersionEvent, type SummaryValue, summaryEvent, tfRecord } from '../internal/tfrecord.js';
import { checkInteger } from '../internal/validate.js';
import type { StepRecord } from '../step-record.js';
import type { StepLogger } from './step-logger.js';

let fileCount = 0;

/** A logger writing a TensorBoard event file. */
export interface TensorBoardLogger extends StepLogger {
  /** The event file's path. */
  readonly path: string;
}

/** The per-parameter fields written under their own tags; every other numeric field is `<field>/<name>`. */
const BASE_FIELDS = new Set(['name', 'gradNorm', 'weightNorm', 'ratio', 'updateRatio']);

/** Options of {@link tensorBoardLogger}. */
export interface TensorBoardLoggerOptions {
  /**
   * Write to the file every this many records (default 1: each record is written before `log`
   * returns). With n > 1 records wait in memory until `close()`, process exit or SIGINT/SIGTERM;
   * a process killed with SIGKILL loses at most the last n − 1.
   */
  readonly flushEvery?: number;
  /**
   * Write per-parameter scalars too (default true): gradient norm, weight norm, update ratio, and
   * each per-parameter statistic the monitor recorded (`gradMaxAbs`, `entropy`, …).
   */
  readonly perParameter?: boolean;
  /** Suffix of the event file's name (default 'gflow'). */
  readonly suffix?: string;
}

/**
 * Writes {@link StepRecord}s as a TensorBoard event file (`events.out.tfevents.<seconds>.<pid>.<n>.<suffix>`) in `logdir`:
 * scalars `loss`, `grad/global_norm`, `grad/cosine`, `grad/snr`, `grad/variance`,
 * `grad/kurtosis`, per parameter `grad_norm/<name>`, `weight_norm/<name>`,
 * `update_ratio/<name>`, every other numeric per-parameter field of the record under its own
 * name (`gradMaxAbs/<name>`, `entropy/<name>`, `deadUnitFraction/<name>`, `kurtosis/<name>`, …), per tap `tap_grad_norm/<name>`, transform numbers under `info/`; and
 * the record's per-parameter histograms (`gradients/<name>`, `parameters/<name>`, from
 * `watchFlow`) as TensorBoard histograms with exact min, max, num, sum and sum of squares.
 * A record made by `watchFlow` on its held batch has its scalars under `held_batch/` (taps and
 * histograms keep their names), so they do not mix with the training steps' at the same step.
 *
 * Events are `tensorflow.Event` protocol buffers encoded with `@bufbuild/protobuf`, framed as
 * TFRecords with masked CRC-32C from `crc-32`, and appended through `sonic-boom`; no
 * `@tensorflow/tfjs-node` (whose install needs a libtensorflow download). Non-finite scalars are
 * left out (TensorBoard cannot draw them); the `finite` flag and the JSON lines keep them.
 *
 * @param logdir - The directory (created if missing). Node only.
 * @param options - Flush interval, per-parameter scalars, file name suffix.
 * @returns A logger; `close()` writes what is held and closes the file (a `GradientMonitor`'s
 *   `dispose()` calls it; process exit and SIGINT/SIGTERM flush it too).
 * @throws InvalidArgumentError (from `@gflow/core`) for an empty logdir; UnsupportedError outside Node.
 * @example
 * ```ts
 * const monitor = new GradientMonitor({ loggers: [tensorBoardLogger('runs/exp1')] });
 * // then: tensorboard --logdir runs
 * ```
 * @see https://github.com/tensorflow/tensorboard (event file format: tensorflow/core/util/event.proto)
 */
export function tensorBoardLogger(logdir: string, options: TensorBoardLoggerOptions = {}): TensorBoardLogger {
  const fn = 'tensorBoardLogger';
  if (typeof logdir !== 'string' || logdir === '') {
    throw new InvalidArgumentError(`${fn}: logdir must be a non-empty path, got ${describeValue(logdir)}`);
  }
  const flushEvery = checkInteger(fn, 'options.flushEvery', options.flushEvery ?? 1, 1);
  const perParameter = options.perParameter ?? true;
  const suffix = (options.suffix ?? 'gflow').replace(/[^A-Za-z0-9._-]/g, '_');
  // Seconds, process id and a per-process count, so two loggers on one logdir (in one process
  // or two) never append to the same file, as TensorFlow's writer adds host and pid.
  const pid = (globalThis as { process?: { pid?: number } }).process?.pid ?? 0;
  const path = `${logdir.replace(/\/+$/, '')}/events.out.tfevents.${Math.floor(Date.now() / 1000)}.${pid}.${fileCount++}.${suffix}`;
  const file = openAppendFile(fn, path, { buffered: flushEvery > 1, binary: true });
  file.write(tfRecord(fn, fileVersionEvent(Date.now() / 1000)));
  file.flush();
  let held = 0;
  return {
    path,
    log(r: StepRecord) {
      const values: SummaryValue[] = [];
      const pre = r.source === 'watchFlow' ? 'held_batch/' : '';
      const add = (tag: string, v: number | null | undefined) => {
        if (v !== null && v !== undefined && Number.isFinite(v)) values.push({ tag: pre + tag, scalar: v });
      };
      add('loss', r.loss);
      add('grad/global_norm', r.globalNorm);
      add('grad/cosine', r.cosine);
      add('grad/snr', r.snr);
      if (r.distribution) {
        add('grad/variance', r.distribution.variance);
        add('grad/kurtosis', r.distribution.kurtosis);
      }
      if (perParameter) {
        for (const p of r.parameters) {
          add(`grad_norm/${p.name}`, p.gradNorm);
          add(`weight_norm/${p.name}`, p.weightNorm);
          add(`update_ratio/${p.name}`, p.updateRatio);
          // every registered monitor statistic and the moments, under their record field's name
          for (const [k, v] of Object.entries(p))
            if (!BASE_FIELDS.has(k) && typeof v === 'number') add(`${k}/${p.name}`, v);
        }
      }
      for (const [k, v] of Object.entries(r.info ?? {})) add(`info/${k}`, v);
      for (const t of r.taps ?? []) {
        if (t.gradNorm !== null && Number.isFinite(t.gradNorm))
          values.push({ tag: `tap_grad_norm/${t.name}`, scalar: t.gradNorm });
      }
      for (const h of r.histograms ?? []) if (h.num > 0) values.push({ tag: h.tag, histogram: h });
      file.write(tfRecord(fn, summaryEvent(r.step, r.time / 1000, values)));
      if (flushEvery > 1 && ++held >= flushEvery) {
        file.flush();
        held = 0;
      }
    },
    close: () => file.close(),
  };
}
