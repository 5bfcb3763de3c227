import * as tf from '@tensorflow/tfjs';

/** Kernel attributes as the registry passes them. */
type Attrs = Record<string, unknown>;

/**
 * Runs other registered kernels of one backend from inside a kernel, on `TensorInfo`s rather than
 * tensors (no engine bookkeeping, no tape), and disposes every intermediate it made. This is how
 * tfjs's own backends compose kernels.
 */
export class KernelScratch {
  private readonly made: tf.TensorInfo[] = [];

  constructor(
    private readonly backend: tf.KernelBackend,
    private readonly backendName: string,
  ) {}

  /** Runs kernel `name` and remembers its output for {@link dispose}. */
  run(name: string, inputs: Record<string, tf.TensorInfo>, attrs: Attrs = {}): tf.TensorInfo {
    const kernel = tf.getKernel(name, this.backendName);
    if (kernel === undefined) {
      throw new Error(`gflow kernel fill: kernel ${name} is not registered for backend ${this.backendName}`);
    }
    const out = kernel.kernelFunc({
      inputs: inputs as tf.NamedTensorInfoMap,
      backend: this.backend,
      attrs: attrs as tf.NamedAttrMap,
    }) as tf.TensorInfo;
    this.made.push(out);
    return out;
  }

  /** Takes an output made outside {@link run} (e.g. `makeOutput`) into the scratch's care. */
  adopt(t: tf.TensorInfo): tf.TensorInfo {
    this.made.push(t);
    return t;
  }

  /** Reshapes (shares the data; counted like any other intermediate). */
  reshape(x: tf.TensorInfo, shape: readonly number[]): tf.TensorInfo {
    return this.run('Reshape', { x }, { shape: [...shape] });
  }

  /** Pads each axis by `[before, after]` (negative values crop). */
  padOrCrop(x: tf.TensorInfo, paddings: readonly (readonly [number, number])[]): tf.TensorInfo {
    let out = x;
    if (paddings.some(([a, b]) => a < 0 || b < 0)) {
      const begin = paddings.map(([a]) => Math.max(0, -a));
      const size = x.shape.map((d, i) => d - begin[i]! - Math.max(0, -paddings[i]![1]));
      out = this.run('Slice', { x: out }, { begin, size });
    }
    if (paddings.some(([a, b]) => a > 0 || b > 0)) {
      const pads = paddings.map(([a, b]) => [Math.max(0, a), Math.max(0, b)]);
      out = this.run('PadV2', { x: out }, { paddings: pads, constantValue: 0 });
    }
    return out;
  }

  /** Disposes every intermediate except `keep`, which is returned to the engine. */
  finish(keep: tf.TensorInfo): tf.TensorInfo {
    for (const t of this.made) {
      if (t !== keep) this.backend.disposeData(t.dataId);
    }
    return keep;
  }
}
