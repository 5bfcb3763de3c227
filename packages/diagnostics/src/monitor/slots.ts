import * as tf from '@tensorflow/tfjs';
import { pairSquared } from '../internal/norms.js';
import type { BatchedRead } from '../internal/tensors.js';

/**
 * Typed slots in the monitor's one batched read-back. A statistic adds its tensors to the step's
 * `BatchedRead` (directly, or through one parameter's {@link ParamParts}) while the step is
 * planned, and gets back a {@link Slot} that reads its numbers from the values once they are read
 * back, so no statistic decodes by integer offsets it did not make. Not exported from the
 * package; not marked internal, since the statistics' types (`parameter-stat.ts`), from which
 * public types are derived, name `Slot` and `ParamParts` in the published `.d.ts`.
 *
 * @module
 */

/** Where a statistic's values sit in the read-back, and how to turn them into a `T`. */
export interface Slot<T> {
  /** The statistic from the values read back (float64). */
  read(values: Float64Array): T;
}

/** A scale-safe pair: ‖x‖² = m²·s (see `internal/norms.ts`). */
export interface Pair {
  /** The scale m = max(max|x|, 2⁻¹²⁶). */
  readonly m: number;
  /** s = Σ(x/m)². */
  readonly s: number;
}

/** ‖x‖² from its pair, in float64. */
export function squared(p: Pair): number {
  return pairSquared(p.m, p.s);
}

/** A slot of `count` consecutive values starting at the index `at()` gives. */
export function valuesAt(at: () => number, count: number): Slot<Float64Array> {
  return { read: (v) => v.subarray(at(), at() + count) };
}

/** A slot of one value at the index `at()` gives. */
export function valueAt(at: () => number): Slot<number> {
  return { read: (v) => v[at()] as number };
}

/** A slot of one pair [m, s] starting at the index `at()` gives. */
export function pairAt(at: () => number): Slot<Pair> {
  return { read: (v) => ({ m: v[at()] as number, s: v[at() + 1] as number }) };
}

/** Adds `t` to the read (kept past the planning `tidy`) and returns where it starts. */
export function addToRead(reader: BatchedRead, t: tf.Tensor): () => number {
  const at = reader.add(tf.keep(t));
  return () => at;
}

/**
 * One parameter's values, concatenated into one tensor before they join the read (one entry per
 * parameter, as many values as its statistics need). Indices are known once {@link flush} ran.
 */
export class ParamParts {
  private readonly parts: tf.Tensor[] = [];
  private size = 0;
  private base = -1;

  /** Appends the values of `ts` (rank 1 each), in order; returns where the first will sit. */
  add(...ts: tf.Tensor[]): () => number {
    const local = this.size;
    for (const t of ts) {
      this.parts.push(t);
      this.size += t.size;
    }
    return () => this.base + local;
  }

  /** Adds the parts (if any) to the read as one tensor. */
  flush(reader: BatchedRead): void {
    if (this.parts.length === 0) return;
    const one = this.parts.length === 1 ? (this.parts[0] as tf.Tensor) : tf.concat(this.parts);
    this.base = reader.add(tf.keep(one));
  }
}
