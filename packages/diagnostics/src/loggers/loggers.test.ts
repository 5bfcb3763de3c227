import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '@gflow/core/internal';
import protobuf from 'protobufjs';
import { afterAll, describe, expect, it } from 'vitest';
import { GradientMonitor } from '../gradient-monitor.js';
import { crc32c } from '../internal/tfrecord.js';
import type { StepRecord } from '../step-record.js';
import { tensorflowBucketLimits, valueHistogram } from '../value-histogram.js';
import { jsonLinesLogger } from './json-lines-logger.js';
import { tensorBoardLogger } from './tensorboard-logger.js';
import { tfvisLogger } from './tfvis-logger.js';

const dir = mkdtempSync(join(tmpdir(), 'gflow-loggers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const record = (step: number, extra: Partial<StepRecord> = {}): StepRecord => ({
  step,
  time: 1_700_000_000_000 + step,
  loss: 1 / (step + 1),
  globalNorm: 2 ** step,
  cosine: step === 0 ? null : 0.5,
  parameters: [{ name: 'blocks.0.kernel', gradNorm: 0.25, weightNorm: 2, ratio: 0.125, updateRatio: 1e-3 }],
  finite: true,
  ...extra,
});

/**
 * The messages of TensorFlow's event.proto and summary.proto that the logger writes (field
 * numbers and types copied from tensorflow/core/util/event.proto and
 * tensorflow/core/framework/summary.proto), for protobufjs: an independent decoder.
 */
const schema = protobuf.parse(`
  syntax = "proto3";
  package tensorflow;
  message HistogramProto {
    double min = 1; double max = 2; double num = 3; double sum = 4; double sum_squares = 5;
    repeated double bucket_limit = 6 [packed = true];
    repeated double bucket = 7 [packed = true];
  }
  message Summary {
    message Value {
      string node_name = 7;
      string tag = 1;
      oneof value { float simple_value = 2; bytes obsolete_old_style_histogram = 3; HistogramProto histo = 5; }
    }
    repeated Value value = 1;
  }
  message Event {
    double wall_time = 1;
    int64 step = 2;
    oneof what { string file_version = 3; bytes graph_def = 4; Summary summary = 5; }
  }
`).root;
const EventType = schema.lookupType('tensorflow.Event');

interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  summary?: {
    value: {
      tag: string;
      simpleValue?: number;
      histo?: {
        min: number;
        max: number;
        num: number;
        sum: number;
        sumSquares: number;
        bucketLimit: number[];
        bucket: number[];
      };
    }[];
  };
}

/** CRC-32C bit by bit (reflected polynomial 0x82F63B78), independent of the logger's table code. */
function bitwiseCrc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
const mask = (c: number) => ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;

/** Splits a TFRecord file, checking both masked CRCs of every record, and decodes the events. */
function events(file: Uint8Array): DecodedEvent[] {
  const out: DecodedEvent[] = [];
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let i = 0;
  while (i < file.length) {
    const n = view.getUint32(i, true) + view.getUint32(i + 4, true) * 2 ** 32;
    expect(view.getUint32(i + 8, true)).toBe(mask(bitwiseCrc32c(file.subarray(i, i + 8))));
    const data = file.subarray(i + 12, i + 12 + n);
    expect(view.getUint32(i + 12 + n, true)).toBe(mask(bitwiseCrc32c(data)));
    out.push(EventType.toObject(EventType.decode(data), { longs: Number, defaults: true }) as DecodedEvent);
    i += 16 + n;
  }
  expect(i).toBe(file.length);
  return out;
}

function readEvents(logdir: string): DecodedEvent[] {
  const files = readdirSync(logdir);
  expect(files).toHaveLength(1);
  expect(files[0]).toMatch(/^events\.out\.tfevents\.\d+\.\d+\.\d+\.gflow$/);
  return events(new Uint8Array(readFileSync(join(logdir, files[0]!))));
}

describe('CRC-32C', () => {
  it('matches the published check values', () => {
    // "123456789" → 0xE3069283 (the CRC catalogue's check value for CRC-32C);
    // 32 zero bytes → 0x8A9136AA and 32 bytes 0xFF → 0x62A8AB43 (RFC 3720, B.4).
    expect(crc32c('t', new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c('t', new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c('t', new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(bitwiseCrc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });
});

describe('tensorBoardLogger', () => {
  it('writes TFRecord-framed Event protos that an independent decoder reads back field by field', () => {
    const logdir = join(dir, 'tb');
    const logger = tensorBoardLogger(logdir, { flushEvery: 2 });
    // Values whose statistics are worked by hand below: 0, 1, −2, 3e-13, 1e30 and a NaN.
    const values = [0, 1, -2, 3e-13, 1e30, Number.NaN];
    logger.log(record(0));
    logger.log(
      record(1, {
        info: { 'clipByGlobalNorm.norm': 3 },
        parameters: [
          {
            name: 'blocks.0.kernel',
            gradNorm: 0.25,
            weightNorm: 2,
            ratio: 0.125,
            updateRatio: 1e-3,
            gradMaxAbs: 0.125,
            entropy: Number.NaN,
          },
        ],
        taps: [
          { name: 'layers.dense_1', gradNorm: 1e-30 },
          { name: 'layers.dense_2', gradNorm: null },
        ],
        histograms: [valueHistogram('gradients/blocks.0.kernel', values)],
      }),
    );
    logger.log(record(2, { source: 'watchFlow', loss: Number.POSITIVE_INFINITY }));
    logger.close?.();
    const evs = readEvents(logdir);
    expect(evs).toHaveLength(4);
    expect(evs[0]!.fileVersion).toBe('brain.Event:2');
    expect(evs[0]!.step).toBe(0);
    const ev = evs[2]!;
    expect(ev.wallTime).toBe(1_700_000_000.001); // the record's time, in seconds, as a double
    expect(ev.step).toBe(1);
    const scalars = Object.fromEntries(
      ev.summary!.value.filter((v) => v.simpleValue !== undefined).map((v) => [v.tag, v.simpleValue]),
    );
    // float32 values: 0.5, 2, 0.25, 3 are exact; 1e-3 and 1e-30 to float32 rounding.
    expect(scalars).toMatchObject({
      loss: 0.5,
      'grad/global_norm': 2,
      'grad/cosine': 0.5,
      'grad_norm/blocks.0.kernel': 0.25,
      'weight_norm/blocks.0.kernel': 2,
      'info/clipByGlobalNorm.norm': 3,
    });
    expect(scalars['update_ratio/blocks.0.kernel']).toBe(Math.fround(1e-3));
    expect(scalars['gradMaxAbs/blocks.0.kernel']).toBe(0.125); // a registered statistic's field
    expect('entropy/blocks.0.kernel' in scalars).toBe(false); // NaN: not drawn
    expect('ratio/blocks.0.kernel' in scalars).toBe(false); // base fields keep their own tags
    expect(scalars['tap_grad_norm/layers.dense_1']).toBe(Math.fround(1e-30));
    expect('tap_grad_norm/layers.dense_2' in scalars).toBe(false); // no gradient: not drawn
    const histo = ev.summary!.value.find((v) => v.histo)!;
    expect(histo.tag).toBe('gradients/blocks.0.kernel');
    const h = histo.histo!;
    expect(h.min).toBe(-2);
    expect(h.max).toBe(1e30);
    expect(h.num).toBe(5); // the NaN is left out
    expect(h.sum).toBe(0 + 1 - 2 + 3e-13 + 1e30);
    expect(h.sumSquares).toBe(0 + 1 + 4 + 3e-13 * 3e-13 + 1e30 * 1e30); // float64 squares, in order
    // TensorFlow's default limits, built here by hand: ±1e-12·1.1ᵏ below 1e20, ±DBL_MAX and 0.
    // A value x counts in the first bucket whose limit exceeds it (found by linear search), and
    // each run of empty buckets is written as one bucket ending at the run's last limit.
    const pos: number[] = [];
    for (let v = 1e-12; v < 1e20; v *= 1.1) pos.push(v);
    const limits = [-Number.MAX_VALUE, ...pos.map((v) => -v).reverse(), 0, ...pos, Number.MAX_VALUE];
    const bucketOf = (x: number) => limits.findIndex((l) => l > x);
    const iNeg2 = bucketOf(-2);
    const iZero = bucketOf(0);
    const iOne = bucketOf(1);
    expect(bucketOf(3e-13)).toBe(iZero); // 0 and 3e-13 share [0, 1e-12)
    expect(limits[iZero]).toBe(1e-12);
    expect(bucketOf(1e30)).toBe(limits.length - 1); // [1e-12·1.1^last, DBL_MAX)
    expect(limits[iNeg2 - 1]! <= -2 && -2 < limits[iNeg2]!).toBe(true);
    expect(limits[iOne - 1]! <= 1 && 1 < limits[iOne]!).toBe(true);
    expect(h.bucketLimit).toEqual([
      limits[iNeg2 - 1], // empty: [−DBL_MAX, just below −2)
      limits[iNeg2], // −2
      0, // empty up to 0
      1e-12, // 0 and 3e-13
      limits[iOne - 1], // empty
      limits[iOne], // 1
      limits[limits.length - 2], // empty
      Number.MAX_VALUE, // 1e30
    ]);
    expect(h.bucket).toEqual([0, 1, 0, 2, 0, 1, 0, 1]);
    // A watchFlow record: its scalars under held_batch/, and the infinite loss left out.
    const held = Object.fromEntries(evs[3]!.summary!.value.map((v) => [v.tag, v.simpleValue]));
    expect(held['held_batch/grad/global_norm']).toBe(4);
    expect('held_batch/loss' in held || 'loss' in held).toBe(false);
  });

  it('gives two loggers on one logdir two files', () => {
    const logdir = join(dir, 'two');
    const a = tensorBoardLogger(logdir);
    const b = tensorBoardLogger(logdir);
    a.log(record(0));
    b.log(record(0));
    a.close?.();
    b.close?.();
    expect(a.path).not.toBe(b.path);
    expect(readdirSync(logdir)).toHaveLength(2);
    for (const f of readdirSync(logdir))
      expect(events(new Uint8Array(readFileSync(join(logdir, f))))).toHaveLength(2);
  });

  it('rejects an empty logdir', () => {
    expect(() => tensorBoardLogger('')).toThrow(/tensorBoardLogger: logdir must be a non-empty path/);
  });
});

describe('valueHistogram', () => {
  it('keeps exact float64 statistics where a float32 sum of squares would overflow or vanish', () => {
    // 1e-30² = 1e-60 (0 in float32) and 1e30² = 1e60 (∞ in float32).
    const tiny = valueHistogram('t', new Float32Array([1e-30, -1e-30]));
    const f = Math.fround(1e-30);
    expect(tiny.sumSquares).toBe(2 * f * f);
    expect(tiny.sum).toBe(0);
    const big = valueHistogram('b', new Float32Array([1e30, 1e30, 1e30]));
    const g = Math.fround(1e30);
    expect(big.sumSquares).toBe(3 * g * g);
    expect(big.bucketCounts.reduce((a, b) => a + b, 0)).toBe(3);
    // The largest double lies in the last bucket (TensorFlow's upper_bound would step past it).
    const edge = valueHistogram('e', [Number.MAX_VALUE]);
    expect(edge.bucketLimits.at(-1)).toBe(Number.MAX_VALUE);
    expect(edge.bucketCounts).toEqual([0, 1]);
    const none = valueHistogram('n', [Number.NaN, Number.POSITIVE_INFINITY]);
    expect(none).toMatchObject({ num: 0, nonFinite: 2, min: 0, max: 0, bucketLimits: [], bucketCounts: [] });
    expect(tensorflowBucketLimits()).toHaveLength(2 * 775 + 1); // 774 powers below 1e20 and DBL_MAX, each sign, and 0;
    expect(() => valueHistogram('x', 3 as never)).toThrow(/valueHistogram: values must be array-like/);
  });
});

describe('valueHistogram buckets', () => {
  it('puts every value in the bucket a linear search over the limits finds, at limits and between them', () => {
    const limits = Array.from(tensorflowBucketLimits());
    // Each limit itself, its float64 neighbours, midpoints, ±0, and log-uniform values of both
    // signs from 1e-300 to 1e300 (seeded).
    const values: number[] = [0, -0, Number.MIN_VALUE, -Number.MIN_VALUE];
    const buf = new DataView(new ArrayBuffer(8));
    const step = (x: number, d: 1 | -1) => {
      buf.setFloat64(0, x);
      buf.setBigInt64(0, buf.getBigInt64(0) + BigInt(x >= 0 ? d : -d));
      return buf.getFloat64(0);
    };
    for (let i = 0; i < limits.length; i++) {
      const l = limits[i]!;
      values.push(l, step(l, -1));
      if (Math.abs(l) < Number.MAX_VALUE) values.push(step(l, 1));
      if (i > 0) values.push((limits[i - 1]! + l) / 2);
    }
    const rng = new Rng(7);
    const rand = () => rng.uniform();
    for (let i = 0; i < 2000; i++) values.push((rand() < 0.5 ? -1 : 1) * 10 ** (600 * rand() - 300));
    for (const x of values.filter(Number.isFinite)) {
      const k = limits.findIndex((l) => l > x);
      const expected = k === -1 ? Number.MAX_VALUE : limits[k]; // DBL_MAX: the last bucket
      const h = valueHistogram('x', [x]);
      const i = h.bucketCounts.indexOf(1);
      expect(h.bucketLimits[i], `x = ${x}`).toBe(expected);
    }
  });
});

describe('jsonLinesLogger', () => {
  it('appends one JSON record per line to a file, and calls a callback', () => {
    const path = join(dir, 'run.jsonl');
    const logger = jsonLinesLogger(path, { flushEvery: 2 });
    for (let i = 0; i < 3; i++) logger.log(record(i, i === 2 ? { loss: Number.NaN } : {}));
    logger.close?.();
    const lines = readFileSync(path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.step)).toEqual([0, 1, 2]);
    // A NaN loss is written as "NaN", not null (null means "not measured").
    expect(lines[2].loss).toBe('NaN');
    const seen: string[] = [];
    jsonLinesLogger((line) => seen.push(line)).log(record(5));
    expect(JSON.parse(seen[0]!).globalNorm).toBe(32);
    expect(() => jsonLinesLogger(42 as never)).toThrow(
      /jsonLinesLogger: sink must be a file path or a function/,
    );
  });
});

describe('tfvisLogger', () => {
  it('draws loss and log10 norm through the tfvis module it is given', () => {
    const calls: { container: unknown; data: { values: { x: number; y: number }[][]; series: string[] } }[] =
      [];
    const fake = {
      render: {
        linechart: (container: unknown, data: (typeof calls)[0]['data']) =>
          void calls.push({ container, data }),
      },
    };
    const logger = tfvisLogger(fake, { container: 'div#chart', every: 2 });
    for (let i = 0; i < 5; i++) logger.log(record(i));
    expect(calls).toHaveLength(2); // after records 2 and 4
    const last = calls[1]!;
    expect(last.container).toBe('div#chart');
    expect(last.data.series).toEqual(['loss', 'log10 global grad norm']);
    expect(last.data.values[1]!.map((p) => p.y)).toEqual([0, Math.log10(2), Math.log10(4), Math.log10(8)]);
    // A watchFlow record is not drawn; close() draws the records since the last redraw.
    logger.log(record(5, { source: 'watchFlow', loss: 99 }));
    expect(calls).toHaveLength(2);
    logger.close?.();
    expect(calls).toHaveLength(3);
    expect(calls[2]!.data.values[0]!.map((p) => p.x)).toEqual([0, 1, 2, 3, 4]);
    expect(() => tfvisLogger({} as never)).toThrow(
      /tfvisLogger: tfvis must be the @tensorflow\/tfjs-vis module/,
    );
  });
});

describe('loggers that lose nothing', () => {
  it('holds records with flushEvery > 1 and writes them on close()', () => {
    const path = join(dir, 'held.jsonl');
    const logger = jsonLinesLogger(path, { flushEvery: 3 });
    logger.log(record(0));
    logger.log(record(1));
    expect(readFileSync(path, 'utf8')).toBe(''); // held
    logger.log(record(2));
    expect(readFileSync(path, 'utf8').trimEnd().split('\n')).toHaveLength(3);
    logger.log(record(3));
    logger.close?.();
    logger.log(record(4)); // after close: ignored
    expect(
      readFileSync(path, 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).step),
    ).toEqual([0, 1, 2, 3]);
  });

  it('GradientMonitor.dispose() closes its loggers', () => {
    const closed: string[] = [];
    const monitor = new GradientMonitor({ loggers: [{ log: () => {}, close: () => void closed.push('a') }] });
    monitor.addLogger({ log: () => {}, close: () => void closed.push('b') });
    monitor.addLogger({ log: () => {} }); // no close: fine
    monitor.dispose();
    expect(closed).toEqual(['a', 'b']);
  });

  // A child process trains 12 steps with model.fit, logging through an instrumented optimizer,
  // and never calls close(): what it leaves on disk is what a user's script would leave.
  const req = createRequire(createRequire(import.meta.url).resolve('vitest/package.json'));
  const viteNode = join(dirname(req.resolve('vite-node/package.json')), 'vite-node.mjs');
  const script = fileURLToPath(new URL('../test-utils/unclosed-run.ts', import.meta.url));
  const config = fileURLToPath(new URL('../../../../vitest.config.ts', import.meta.url));
  const run = async (mode: 'exit' | 'sigterm' | 'sigint' | 'sigkill') => {
    const jsonl = join(dir, `child-${mode}.jsonl`);
    const tb = join(dir, `child-${mode}`);
    // Asynchronous, so that this worker keeps answering vitest while the child runs.
    const child = spawn(process.execPath, [viteNode, '--config', config, script, jsonl, tb, mode], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      timeout: 80_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const [status, signal] = await new Promise<[number | null, string | null]>((done) =>
      child.on('close', (code, sig) => done([code, sig])),
    );
    expect(stdout, stderr).toContain('{"recorded":12}');
    const lines = readFileSync(jsonl, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l).step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const evs = readEvents(tb);
    expect(evs[0]!.fileVersion).toBe('brain.Event:2');
    expect(evs.slice(1).map((e) => e.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    return { status, signal };
  };

  it('a 12-step run that ends without close() leaves 12 JSON lines and 12 TensorBoard steps', async () => {
    expect((await run('exit')).status).toBe(0);
  }, 90_000);

  it('SIGTERM flushes loggers that hold records (flushEvery 100), and still ends the process by the signal', async () => {
    expect((await run('sigterm')).signal).toBe('SIGTERM');
  }, 90_000);

  it('SIGINT (Ctrl-C) flushes them too, and still ends the process by the signal', async () => {
    expect((await run('sigint')).signal).toBe('SIGINT');
  }, 90_000);

  it('SIGKILL loses nothing with the default flushEvery 1', async () => {
    expect((await run('sigkill')).signal).toBe('SIGKILL');
  }, 90_000);
});
