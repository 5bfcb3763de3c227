import { GflowIOError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { nodeFs } from './node-fs.js';
import type { StateSnapshot } from './optimizer-state.js';

/**
 * The binary format of a `TrainingGuard` snapshot file.
 *
 * Layout: the 8 ASCII bytes `GFLOWSNP`; a little-endian uint32 n; n bytes of UTF-8 JSON (the
 * header: `version`, `step`, `iterations`, `arrayLengths`, `entries`); then the raw little-endian
 * data of every entry, back to back. An entry is `{ key, shape, dtype, offset, length }` with
 * `key` `var:<variable name>` or `slot:<optimizer slot key>`, `dtype` `float32` or `int32`, and
 * `offset`/`length` in bytes from the end of the header.
 *
 * Version history: 1, the first layout. A reader refuses any other version with a GflowIOError
 * that names the version found and the one it reads.
 *
 * @internal
 * @module
 */

/** The format version this module writes and the only one it reads. */
export const SNAPSHOT_FORMAT_VERSION = 1;

const MAGIC = 'GFLOWSNP';

interface FileEntry {
  readonly key: string;
  readonly shape: number[];
  readonly dtype: 'float32' | 'int32';
  readonly offset: number;
  readonly length: number;
}

interface FileHeader {
  readonly version: number;
  readonly step: number;
  readonly iterations: number;
  readonly arrayLengths: Record<string, number>;
  readonly entries: FileEntry[];
}

/** The file's bytes for a snapshot (see the module comment for the layout). */
export function encodeSnapshot(snap: StateSnapshot): Uint8Array {
  const entries: FileEntry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const add = (key: string, t: tf.Tensor) => {
    const data = t.dataSync() as Float32Array | Int32Array;
    const bytes = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    const dtype = t.dtype === 'int32' ? 'int32' : 'float32';
    entries.push({ key, shape: t.shape.slice(), dtype, offset, length: bytes.length });
    chunks.push(bytes);
    offset += bytes.length;
  };
  for (const [v, t] of snap.vars) add(`var:${v.name}`, t);
  for (const [k, t] of snap.slots) add(`slot:${k}`, t);
  const header: FileHeader = {
    version: SNAPSHOT_FORMAT_VERSION,
    step: snap.step,
    iterations: snap.iterations,
    arrayLengths: Object.fromEntries(snap.arrayLengths),
    entries,
  };
  const head = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + 4 + head.length + offset);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, head.length, true);
  out.set(head, 12);
  let at = 12 + head.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * A snapshot from a file's bytes; variables are matched by name among `vars` (others are skipped).
 * The tensors are kept (the caller disposes them with `disposeSnapshot`).
 *
 * @throws GflowIOError when the bytes do not start with `GFLOWSNP`, the header is not JSON, the
 *   format version is not {@link SNAPSHOT_FORMAT_VERSION}, or an entry lies outside the file.
 */
export function decodeSnapshot(buf: Uint8Array, vars: readonly tf.Variable[], source: string): StateSnapshot {
  const fn = 'TrainingGuard';
  if (buf.length < 12 || new TextDecoder().decode(buf.subarray(0, 8)) !== MAGIC) {
    throw new GflowIOError(`${fn}: snapshot file ${source} must start with ${MAGIC}`);
  }
  const headerLength = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(8, true);
  let header: FileHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(12, 12 + headerLength))) as FileHeader;
  } catch (cause) {
    throw new GflowIOError(`${fn}: snapshot file ${source} must have a JSON header: ${String(cause)}`, {
      cause,
    });
  }
  if (header?.version !== SNAPSHOT_FORMAT_VERSION) {
    throw new GflowIOError(
      `${fn}: snapshot file ${source} must have format version ${SNAPSHOT_FORMAT_VERSION}, got ${JSON.stringify(header?.version)} (written by another gflow version)`,
    );
  }
  const base = 12 + headerLength;
  // Every entry is checked before any tensor is made, so a corrupt file leaks nothing.
  for (const e of header.entries ?? []) {
    const size = e.shape.reduce((a, b) => a * b, 1);
    if (e.offset < 0 || e.length !== 4 * size || base + e.offset + e.length > buf.length) {
      throw new GflowIOError(
        `${fn}: snapshot file ${source} entry ${JSON.stringify(e.key)} must hold ${4 * size} bytes within the file, got ${e.length} at offset ${e.offset} (the file is ${buf.length} bytes: truncated or corrupt)`,
      );
    }
  }
  const byName = new Map(vars.map((v) => [v.name, v]));
  const v = new Map<tf.Variable, tf.Tensor>();
  const s = new Map<string, tf.Tensor>();
  for (const e of header.entries ?? []) {
    // Copy: Node's Buffer#slice is a view into a shared pool.
    const bytes = new Uint8Array(buf.subarray(base + e.offset, base + e.offset + e.length));
    const data = e.dtype === 'int32' ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer);
    if (e.key.startsWith('var:')) {
      const variable = byName.get(e.key.slice(4));
      if (variable) v.set(variable, tf.keep(tf.tensor(data, e.shape, e.dtype)));
    } else {
      s.set(e.key.slice(5), tf.keep(tf.tensor(data, e.shape, e.dtype)));
    }
  }
  const arrayLengths = new Map(Object.entries(header.arrayLengths));
  return { step: header.step, vars: v, slots: s, arrayLengths, iterations: header.iterations };
}

/**
 * Writes a snapshot to `path` atomically: to `path + '.tmp'`, then renamed over `path`, so that a
 * crash never leaves half a snapshot.
 *
 * @throws GflowIOError when the file cannot be written.
 */
export function writeSnapshotFile(path: string, snap: StateSnapshot): void {
  const fs = nodeFs('TrainingGuard');
  const tmp = `${path}.tmp`;
  try {
    fs.writeFileSync(tmp, encodeSnapshot(snap));
    fs.renameSync(tmp, path);
  } catch (cause) {
    throw new GflowIOError(
      `TrainingGuard: options.path must be writable, got ${JSON.stringify(path)}: ${String(cause)}`,
      { cause },
    );
  }
}

/**
 * Reads a snapshot file written by {@link writeSnapshotFile}.
 *
 * @throws GflowIOError when the file cannot be read or is not a snapshot of this format version.
 */
export function readSnapshotFile(path: string, vars: readonly tf.Variable[]): StateSnapshot {
  const fs = nodeFs('TrainingGuard');
  let buf: Uint8Array;
  try {
    buf = fs.readFileSync(path);
  } catch (cause) {
    throw new GflowIOError(
      `TrainingGuard: snapshot file ${JSON.stringify(path)} must be readable: ${String(cause)}`,
      { cause },
    );
  }
  return decodeSnapshot(buf, vars, JSON.stringify(path));
}
