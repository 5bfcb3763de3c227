import { type Reads, runReadsSync } from '@gflow/core/internal';
import * as tf from '@tensorflow/tfjs';

export { aliasTensor as alias } from '@gflow/core/internal/tfjs';

/** Tensors keyed by parameter (or variable) name. */
export type NamedTensors = Readonly<Record<string, tf.Tensor>>;

/** Disposes every tensor of a record. */
export function disposeAll(record: Readonly<Record<string, tf.Tensor | null | undefined>>): void {
  for (const t of Object.values(record)) if (t != null && !t.isDisposed) t.dispose();
}

/**
 * Collects scalar tensors and reads them back in one transfer: `add` returns the index of each
 * scalar, `read` stacks them, makes one `dataSync` and disposes every scalar it was given.
 */
export class BatchedRead {
  private readonly parts: tf.Tensor[] = [];
  private offset = 0;

  /** Number of values collected so far. */
  get size(): number {
    return this.offset;
  }

  /**
   * Adds a tensor (a scalar or any shape; it is flattened); returns the index of its first value
   * in what {@link BatchedRead.read} returns. The tensor is disposed by `read` or `dispose`.
   */
  add(t: tf.Tensor): number {
    const at = this.offset;
    this.parts.push(t);
    this.offset += t.size;
    return at;
  }

  /** Reads everything back in one `dataSync`, as float64 numbers; disposes the inputs. */
  read(): Float64Array {
    return runReadsSync(this.reads());
  }

  /** {@link BatchedRead.read} as a {@link Reads} computation: one read, by either driver. */
  *reads(): Reads<Float64Array> {
    if (this.parts.length === 0) return new Float64Array(0);
    // Float32 vectors go in as they are: every reshape or cast is one more kernel dispatch.
    const asVector = (s: tf.Tensor): tf.Tensor => {
      const v = s.rank === 1 ? s : tf.reshape(s, [-1]);
      return v.dtype === 'float32' ? v : tf.cast(v, 'float32');
    };
    const flat = tf.tidy(() =>
      this.parts.length === 1 ? asVector(this.parts[0] as tf.Tensor) : tf.concat(this.parts.map(asVector)),
    );
    // The reader disposes `flat` (which may be the one part itself).
    const values = Float64Array.from(yield flat);
    this.dispose();
    return values;
  }

  /** Disposes the collected tensors without reading them. */
  dispose(): void {
    for (const s of this.parts) if (!s.isDisposed) s.dispose();
    this.parts.length = 0;
    this.offset = 0;
  }
}

/** `t` itself when it is float32 (no copy), else `t` cast to float32. */
export function f32(t: tf.Tensor): tf.Tensor {
  return t.dtype === 'float32' ? t : tf.cast(t, 'float32');
}
