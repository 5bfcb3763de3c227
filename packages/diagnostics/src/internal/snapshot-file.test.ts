import { initBackend } from '@gflow/backend';
import { GflowIOError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposeSnapshot, type StateSnapshot } from './optimizer-state.js';
import { decodeSnapshot, encodeSnapshot, SNAPSHOT_FORMAT_VERSION } from './snapshot-file.js';

beforeAll(async () => {
  await initBackend();
});

/** Rewrites the JSON header of a snapshot file's bytes. */
function withHeader(bytes: Uint8Array, edit: (h: Record<string, unknown>) => void): Uint8Array {
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + n))) as Record<string, unknown>;
  edit(header);
  const head = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(12 + head.length + bytes.length - 12 - n);
  out.set(bytes.subarray(0, 8), 0);
  new DataView(out.buffer).setUint32(8, head.length, true);
  out.set(head, 12);
  out.set(bytes.subarray(12 + n), 12 + head.length);
  return out;
}

describe('snapshot file format', () => {
  it('round-trips variables, slots, iterations and array lengths bit for bit', () => {
    const before = tf.memory().numTensors;
    const init = tf.tensor1d([1.5, -2.25, 3e-40]);
    const v = tf.variable(init, true, `snap.v.${Math.random()}`);
    init.dispose();
    const slot = tf.tensor2d([[7, 8]]);
    const snap: StateSnapshot = {
      step: 12,
      vars: new Map([[v, tf.clone(v)]]),
      slots: new Map([['accumulated.0', slot]]),
      arrayLengths: new Map([['accumulated', 1]]),
      iterations: 11,
    };
    const back = decodeSnapshot(encodeSnapshot(snap), [v], 'memory');
    expect(back.step).toBe(12);
    expect(back.iterations).toBe(11);
    expect([...back.arrayLengths]).toEqual([['accumulated', 1]]);
    expect(back.vars.get(v)!.dataSync()).toEqual(new Float32Array([1.5, -2.25, 3e-40]));
    expect(back.slots.get('accumulated.0')!.shape).toEqual([1, 2]);
    disposeSnapshot(back);
    disposeSnapshot(snap);
    v.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses another format version, a bad magic and a broken header, naming what it got', () => {
    const before = tf.memory().numTensors;
    const snap: StateSnapshot = {
      step: 1,
      vars: new Map(),
      slots: new Map(),
      arrayLengths: new Map(),
      iterations: 0,
    };
    const bytes = encodeSnapshot(snap);
    expect(decodeSnapshot(bytes, [], 'ok').step).toBe(1);
    const v2 = withHeader(bytes, (h) => {
      h.version = SNAPSHOT_FORMAT_VERSION + 1;
    });
    expect(() => decodeSnapshot(v2, [], '"old.bin"')).toThrow(GflowIOError);
    expect(() => decodeSnapshot(v2, [], '"old.bin"')).toThrow(
      /TrainingGuard: snapshot file "old.bin" must have format version 1, got 2/,
    );
    const none = withHeader(bytes, (h) => {
      delete h.version;
    });
    expect(() => decodeSnapshot(none, [], 'f')).toThrow(/must have format version 1, got undefined/);
    const magic = bytes.slice();
    magic[0] = 0;
    expect(() => decodeSnapshot(magic, [], 'f')).toThrow(/must start with GFLOWSNP/);
    const broken = bytes.slice();
    broken[12] = 0x7b + 1;
    expect(() => decodeSnapshot(broken, [], 'f')).toThrow(/must have a JSON header/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a truncated file before making any tensor', () => {
    const before = tf.memory().numTensors;
    const slot = tf.tensor1d([1, 2, 3]);
    const snap: StateSnapshot = {
      step: 2,
      vars: new Map(),
      slots: new Map([['m.0', slot]]),
      arrayLengths: new Map(),
      iterations: 1,
    };
    const bytes = encodeSnapshot(snap);
    slot.dispose();
    // 3 float32 = 12 bytes of data; drop the last 4.
    expect(() => decodeSnapshot(bytes.subarray(0, bytes.length - 4), [], 'f')).toThrow(
      /entry "slot:m.0" must hold 12 bytes within the file, got 12 at offset 0/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});
