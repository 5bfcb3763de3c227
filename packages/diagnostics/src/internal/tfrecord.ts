import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import type { ValueHistogram } from '../value-histogram.js';
import { nodeRequire } from './node-require.js';

/**
 * TensorBoard event records: `tensorflow.Event` protocol buffers (tensorflow/core/util/event.proto
 * and tensorflow/core/framework/summary.proto) encoded with `@bufbuild/protobuf`'s wire writer,
 * framed as TFRecords with masked CRC-32C from `crc-32` (SheetJS, pure JavaScript).
 *
 * @internal
 * @module
 */

let crc: ((data: Uint8Array, seed?: number) => number) | undefined;

/** CRC-32C (Castagnoli) of `bytes`, unsigned, from the `crc-32` package's `crc32c` module. */
export function crc32c(fn: string, bytes: Uint8Array): number {
  crc ??= (nodeRequire(fn)('crc-32/crc32c') as { buf(d: Uint8Array, seed?: number): number }).buf;
  return crc(bytes) >>> 0;
}

/** The masked CRC TFRecord files store: ((crc >>> 15) | (crc << 17)) + 0xa282ead8. */
export function maskedCrc32c(fn: string, bytes: Uint8Array): number {
  const c = crc32c(fn, bytes);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** Frames one record: uint64 length, masked CRC of the length, data, masked CRC of the data. */
export function tfRecord(fn: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length, true);
  view.setUint32(4, 0, true);
  view.setUint32(8, maskedCrc32c(fn, out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(fn, data), true);
  return out;
}

/** One `Summary.Value`: a scalar (`simple_value`) or a histogram (`histo`). */
export type SummaryValue =
  | { readonly tag: string; readonly scalar: number }
  | { readonly tag: string; readonly histogram: ValueHistogram };

/** Encodes a `tensorflow.Event` with `file_version` (the header every event file starts with). */
export function fileVersionEvent(wallTime: number): Uint8Array {
  return new BinaryWriter()
    .tag(1, WireType.Bit64)
    .double(wallTime)
    .tag(2, WireType.Varint)
    .int64(0)
    .tag(3, WireType.LengthDelimited)
    .string('brain.Event:2')
    .finish();
}

/** Encodes a `tensorflow.Event` holding a `Summary` of `values` at `step`. */
export function summaryEvent(step: number, wallTime: number, values: readonly SummaryValue[]): Uint8Array {
  const w = new BinaryWriter().tag(1, WireType.Bit64).double(wallTime).tag(2, WireType.Varint).int64(step);
  w.tag(5, WireType.LengthDelimited).fork(); // Event.summary
  for (const v of values) {
    w.tag(1, WireType.LengthDelimited).fork(); // Summary.value
    w.tag(1, WireType.LengthDelimited).string(v.tag);
    if ('scalar' in v) {
      w.tag(2, WireType.Bit32).float(v.scalar);
    } else {
      const h = v.histogram;
      w.tag(5, WireType.LengthDelimited).fork(); // HistogramProto
      w.tag(1, WireType.Bit64).double(h.min);
      w.tag(2, WireType.Bit64).double(h.max);
      w.tag(3, WireType.Bit64).double(h.num);
      w.tag(4, WireType.Bit64).double(h.sum);
      w.tag(5, WireType.Bit64).double(h.sumSquares);
      w.tag(6, WireType.LengthDelimited).fork();
      for (const x of h.bucketLimits) w.double(x);
      w.join();
      w.tag(7, WireType.LengthDelimited).fork();
      for (const x of h.bucketCounts) w.double(x);
      w.join();
      w.join();
    }
    w.join();
  }
  w.join();
  return w.finish();
}
