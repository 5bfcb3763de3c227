import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { crc32c, maskedCrc32c } from '../internal/tfrecord.js';
import type { StepRecord } from '../step-record.js';
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

/** A protobuf decoder written for the test: field number → list of raw values. */
function decode(b: Uint8Array): Map<number, (number | Uint8Array)[]> {
  const out = new Map<number, (number | Uint8Array)[]>();
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let i = 0;
  const varint = () => {
    let x = 0;
    let mul = 1;
    for (;;) {
      const byte = b[i++]!;
      x += (byte & 0x7f) * mul;
      mul *= 128;
      if (byte < 0x80) return x;
    }
  };
  while (i < b.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    let v: number | Uint8Array;
    if (wire === 0) v = varint();
    else if (wire === 1) {
      v = view.getFloat64(i, true);
      i += 8;
    } else if (wire === 5) {
      v = view.getFloat32(i, true);
      i += 4;
    } else if (wire === 2) {
      const n = varint();
      v = b.subarray(i, i + n);
      i += n;
    } else throw new Error(`wire type ${wire}`);
    out.set(field, [...(out.get(field) ?? []), v]);
  }
  return out;
}

/** Splits a TFRecord file, checking both masked CRCs of every record. */
function records(file: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let i = 0;
  while (i < file.length) {
    const n = view.getUint32(i, true) + view.getUint32(i + 4, true) * 2 ** 32;
    expect(view.getUint32(i + 8, true)).toBe(maskedCrc32c(file.subarray(i, i + 8)));
    const data = file.subarray(i + 12, i + 12 + n);
    expect(view.getUint32(i + 12 + n, true)).toBe(maskedCrc32c(data));
    out.push(data);
    i += 16 + n;
  }
  return out;
}

describe('CRC-32C', () => {
  it('matches the published check values', () => {
    // "123456789" → 0xE3069283 (the CRC catalogue's check value for CRC-32C);
    // 32 zero bytes → 0x8A9136AA and 32 bytes 0xFF → 0x62A8AB43 (RFC 3720, B.4).
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
  });
});

describe('tensorBoardLogger', () => {
  it('writes TFRecord-framed Event protos that decode back to the numbers', () => {
    const logger = tensorBoardLogger(join(dir, 'tb'), { flushEvery: 2 });
    logger.log(record(0));
    logger.log(
      record(1, {
        info: { 'clipByGlobalNorm.norm': 3 },
        histogram: { edges: [-2, -1, 0], counts: [4, 5], underflow: 1, overflow: 0 },
      }),
    );
    logger.log(record(2));
    logger.close?.();
    const files = readdirSync(join(dir, 'tb'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^events\.out\.tfevents\.\d+\.gflow$/);
    const recs = records(new Uint8Array(readFileSync(join(dir, 'tb', files[0]!))));
    expect(recs).toHaveLength(4);
    const head = decode(recs[0]!);
    expect(new TextDecoder().decode(head.get(3)![0] as Uint8Array)).toBe('brain.Event:2');
    const ev = decode(recs[2]!);
    expect(ev.get(1)![0]).toBeCloseTo(1_700_000_000.001, 3); // wall time, seconds
    expect(ev.get(2)![0]).toBe(1); // step
    const values = decode(ev.get(5)![0] as Uint8Array)
      .get(1)!
      .map((v) => decode(v as Uint8Array));
    const scalars = Object.fromEntries(
      values
        .filter((v) => v.has(2))
        .map((v) => [new TextDecoder().decode(v.get(1)![0] as Uint8Array), v.get(2)![0]]),
    );
    expect(scalars).toMatchObject({
      loss: 0.5,
      'grad/global_norm': 2,
      'grad/cosine': 0.5,
      'grad_norm/blocks.0.kernel': 0.25,
      'weight_norm/blocks.0.kernel': 2,
      'info/clipByGlobalNorm.norm': 3,
    });
    expect(scalars['update_ratio/blocks.0.kernel']).toBeCloseTo(1e-3, 9);
    const histo = values.find((v) => v.has(5))!;
    expect(new TextDecoder().decode(histo.get(1)![0] as Uint8Array)).toBe('grad/log10_abs');
    const h = decode(histo.get(5)![0] as Uint8Array);
    expect(h.get(3)![0]).toBe(10); // num = 1 + 4 + 5 + 0
    const packed = (b: Uint8Array) =>
      Array.from({ length: b.length / 8 }, (_, i) =>
        new DataView(b.buffer, b.byteOffset).getFloat64(8 * i, true),
      );
    expect(packed(h.get(7)![0] as Uint8Array)).toEqual([1, 4, 5, 0]);
    expect(packed(h.get(6)![0] as Uint8Array).slice(0, 3)).toEqual([-2, -1, 0]);
  });

  it('rejects an empty logdir', () => {
    expect(() => tensorBoardLogger('')).toThrow(/tensorBoardLogger: logdir must be a non-empty path/);
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
    expect(() => tfvisLogger({} as never)).toThrow(
      /tfvisLogger: tfvis must be the @tensorflow\/tfjs-vis module/,
    );
  });
});
