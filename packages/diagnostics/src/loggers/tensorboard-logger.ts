import { describeValue, InvalidArgumentError } from '@gflow/core';
import { nodeFs } from '../internal/node-fs.js';
import { ProtoWriter, tfRecord } from '../internal/tfrecord.js';
import { checkInteger } from '../internal/validate.js';
import type { StepRecord } from '../step-record.js';
import type { StepLogger } from './step-logger.js';

/** A logger writing a TensorBoard event file. */
export interface TensorBoardLogger extends StepLogger {
  /** The event file's path. */
  readonly path: string;
}

/** Options of {@link tensorBoardLogger}. */
export interface TensorBoardLoggerOptions {
  /** Records buffered before a write (default 20). */
  readonly flushEvery?: number;
  /** Write per-parameter scalars (gradient norm, weight norm, update ratio) too (default true). */
  readonly perParameter?: boolean;
  /** Suffix of the event file's name (default 'gflow'). */
  readonly suffix?: string;
}

function scalarValue(tag: string, v: number): Uint8Array {
  return new ProtoWriter().bytesField(1, tag).float(2, v).finish();
}

function histogramValue(tag: string, h: NonNullable<StepRecord['histogram']>): Uint8Array {
  const counts = [h.underflow, ...h.counts, h.overflow];
  const limits = [...h.edges, Number.MAX_VALUE];
  const num = counts.reduce((a, b) => a + b, 0);
  const histo = new ProtoWriter()
    .double(1, h.edges[0] as number)
    .double(2, h.edges[h.edges.length - 1] as number)
    .double(3, num)
    .double(4, 0)
    .double(5, 0)
    .packedDoubles(6, limits)
    .packedDoubles(7, counts)
    .finish();
  return new ProtoWriter().bytesField(1, tag).bytesField(5, histo).finish();
}

function event(step: number, wallTime: number, values: Uint8Array[]): Uint8Array {
  const summary = new ProtoWriter();
  for (const v of values) summary.bytesField(1, v);
  return new ProtoWriter().double(1, wallTime).uint(2, step).bytesField(5, summary.finish()).finish();
}

/**
 * Writes {@link StepRecord}s as a TensorBoard event file (`events.out.tfevents.*`) in `logdir`:
 * scalars `loss`, `grad/global_norm`, `grad/cosine`, `grad/snr`, per parameter
 * `grad_norm/<name>`, `weight_norm/<name>`, `update_ratio/<name>`, transform numbers under
 * `info/`, and the log₁₀|g| histogram as `grad/log10_abs`.
 *
 * The file is written in pure JavaScript (TFRecord framing with masked CRC-32C around
 * `tensorflow.Event` protocol buffers), so it works without `@tensorflow/tfjs-node`, whose
 * install needs a libtensorflow download.
 *
 * @param logdir - The directory (created if missing). Node only.
 * @param options - Buffering, per-parameter scalars, file name suffix.
 * @returns A logger; call `close()` to write what is buffered.
 * @throws InvalidArgumentError (from `@gflow/core`) for an empty logdir; UnsupportedError outside Node.
 * @example
 * ```ts
 * const monitor = new GradientMonitor({ loggers: [tensorBoardLogger('runs/exp1')] });
 * // then: tensorboard --logdir runs
 * ```
 * @see https://github.com/tensorflow/tensorboard (event file format: tensorflow/core/util/event.proto)
 */
export function tensorBoardLogger(logdir: string, options: TensorBoardLoggerOptions = {}): TensorBoardLogger {
  if (typeof logdir !== 'string' || logdir === '') {
    throw new InvalidArgumentError(
      `tensorBoardLogger: logdir must be a non-empty path, got ${describeValue(logdir)}`,
    );
  }
  const flushEvery = checkInteger('tensorBoardLogger', 'options.flushEvery', options.flushEvery ?? 20, 1);
  const perParameter = options.perParameter ?? true;
  const suffix = (options.suffix ?? 'gflow').replace(/[^A-Za-z0-9._-]/g, '_');
  const fs = nodeFs('tensorBoardLogger');
  fs.mkdirSync(logdir, { recursive: true });
  const path = `${logdir.replace(/\/+$/, '')}/events.out.tfevents.${Math.floor(Date.now() / 1000)}.${suffix}`;
  const header = new ProtoWriter()
    .double(1, Date.now() / 1000)
    .uint(2, 0)
    .bytesField(3, 'brain.Event:2')
    .finish();
  fs.writeFileSync(path, tfRecord(header));
  let pending: Uint8Array[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const total = pending.reduce((n, b) => n + b.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const b of pending) {
      out.set(b, at);
      at += b.length;
    }
    fs.appendFileSync(path, out);
    pending = [];
  };
  return {
    path,
    log(r: StepRecord) {
      const values: Uint8Array[] = [];
      const add = (tag: string, v: number | null | undefined) => {
        if (v !== null && v !== undefined && Number.isFinite(v)) values.push(scalarValue(tag, v));
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
        }
      }
      for (const t of r.taps ?? []) add(`tap_grad_norm/${t.name}`, t.gradNorm);
      for (const [k, v] of Object.entries(r.info ?? {})) add(`info/${k}`, v);
      if (r.histogram) values.push(histogramValue('grad/log10_abs', r.histogram));
      pending.push(tfRecord(event(r.step, r.time / 1000, values)));
      if (pending.length >= flushEvery) flush();
    },
    close: flush,
  };
}
