import { describeValue, InvalidArgumentError, ShapeError } from '@gflow/core';
import { hostReadVariables, type Reads, runReadsSync } from '@gflow/core/internal';
import type { Parameter } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import type { ParameterValue, ParamsLike, VectorLike } from '../types.js';

/** The parameters of one call, flattened in order: shapes, sizes and offsets into a flat vector. */
export interface Layout {
  readonly params: readonly Parameter[];
  readonly variables: readonly tf.Variable[];
  readonly shapes: readonly number[][];
  readonly sizes: readonly number[];
  readonly offsets: readonly number[];
  /** The number of scalar parameters. */
  readonly total: number;
  /**
   * The variables of the parameters marked `hostRead` (read synchronously on the host by the
   * model's forward pass): the async drivers await their values before each evaluation.
   */
  readonly hostRead: readonly tf.Variable[];
}

function isModule(p: ParamsLike): p is Extract<ParamsLike, { parameters(): unknown }> {
  return typeof (p as { parameters?: unknown }).parameters === 'function';
}

/** Checks the parameters of a call and lays them out. */
export function layoutOf(fn: string, paramsLike: ParamsLike, arg = 'params'): Layout {
  if (paramsLike == null || (typeof paramsLike !== 'object' && typeof paramsLike !== 'function')) {
    throw new InvalidArgumentError(
      `${fn}: ${arg} must be a Module or an array of Parameters, got ${describeValue(paramsLike)}`,
    );
  }
  const params = isModule(paramsLike) ? paramsLike.parameters() : paramsLike;
  if (!Array.isArray(params) || params.length === 0) {
    throw new InvalidArgumentError(
      `${fn}: ${arg} must hold at least one Parameter, got ${Array.isArray(params) ? 'an empty list' : describeValue(params)}`,
    );
  }
  const seen = new Set<tf.Variable>();
  const shapes: number[][] = [];
  const sizes: number[] = [];
  const offsets: number[] = [];
  let total = 0;
  params.forEach((p: Parameter, i: number) => {
    const v = p?.variable;
    if (!(v instanceof tf.Variable)) {
      throw new InvalidArgumentError(
        `${fn}: ${arg}[${i}].variable must be a tf.Variable, got ${describeValue(v)}`,
      );
    }
    if (v.isDisposed) {
      throw new InvalidArgumentError(
        `${fn}: ${arg}[${i}] (${p.name}) must not be disposed, got a disposed variable`,
      );
    }
    if (v.dtype !== 'float32') {
      throw new InvalidArgumentError(
        `${fn}: ${arg}[${i}] (${p.name}) must be a float32 variable, got dtype ${describeValue(v.dtype)}`,
      );
    }
    if (seen.has(v)) {
      throw new InvalidArgumentError(
        `${fn}: ${arg} must list each variable once, got ${describeValue(p.name)} twice`,
      );
    }
    seen.add(v);
    shapes.push(v.shape.slice());
    sizes.push(v.size);
    offsets.push(total);
    total += v.size;
  });
  const hostRead = hostReadVariables(params);
  return { params, variables: params.map((p) => p.variable), shapes, sizes, offsets, total, hostRead };
}

/** Reads every parameter's current value into one float64 vector (one read-back). */
export function readFlat(layout: Layout): Float64Array {
  return runReadsSync(readFlatReads(layout));
}

/** {@link readFlat} as a {@link Reads} computation (one read). */
export function* readFlatReads(layout: Layout): Reads<Float64Array> {
  const flat = tf.tidy(() => tf.concat(layout.variables.map((v) => tf.reshape(v, [-1]))));
  return Float64Array.from(yield flat);
}

/** Splits a flat vector into per-parameter plain data. */
export function toParameterVector(layout: Layout, flat: ArrayLike<number>): ParameterValue[] {
  return layout.params.map((p, i) => {
    const off = layout.offsets[i] ?? 0;
    const size = layout.sizes[i] ?? 0;
    const values = new Array<number>(size);
    for (let j = 0; j < size; j++) values[j] = flat[off + j] as number;
    return { name: p.name, shape: (layout.shapes[i] ?? []).slice(), values };
  });
}

function shapeEq(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function shapeStr(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

/**
 * Converts a vector argument to one flat float64 vector in the layout's order, checking that it
 * matches the parameters part by part.
 */
export function flatFrom(fn: string, arg: string, layout: Layout, v: VectorLike): Float64Array {
  return runReadsSync(flatFromReads(fn, arg, layout, v));
}

/** {@link flatFrom} as a {@link Reads} computation (one read per tensor part). */
export function* flatFromReads(fn: string, arg: string, layout: Layout, v: VectorLike): Reads<Float64Array> {
  if (v == null || typeof v !== 'object') {
    throw new InvalidArgumentError(
      `${fn}: ${arg} must be a parameter vector (array of { values }), an array of tensors or a flat array, got ${describeValue(v)}`,
    );
  }
  const out = new Float64Array(layout.total);
  const first = (v as ArrayLike<unknown>)[0];
  const isFlat = ArrayBuffer.isView(v) || typeof first === 'number';
  if (isFlat) {
    const arr = v as ArrayLike<number>;
    if (arr.length !== layout.total) {
      throw new ShapeError(
        `${fn}: ${arg} must have ${layout.total} values (one per scalar parameter), got a flat array of ${arr.length}`,
      );
    }
    for (let i = 0; i < arr.length; i++) out[i] = Number(arr[i]);
    return out;
  }
  const parts = v as readonly unknown[];
  if (!Array.isArray(parts) || parts.length !== layout.params.length) {
    throw new ShapeError(
      `${fn}: ${arg} must have one part per parameter (${layout.params.length}), got ${Array.isArray(parts) ? parts.length : describeValue(v)}`,
    );
  }
  for (const [i, part] of parts.entries()) {
    const want = layout.shapes[i] ?? [];
    const name = layout.params[i]?.name ?? String(i);
    const off = layout.offsets[i] ?? 0;
    if (part instanceof tf.Tensor) {
      if (part.isDisposed) {
        throw new InvalidArgumentError(`${fn}: ${arg}[${i}] (${name}) must not be disposed`);
      }
      if (!shapeEq(part.shape, want)) {
        throw new ShapeError(
          `${fn}: ${arg}[${i}] must match parameter ${describeValue(name)} of shape ${shapeStr(want)}, got shape ${shapeStr(part.shape)}`,
        );
      }
      out.set(yield part.clone(), off); // the reader disposes the clone, never the caller's tensor
      continue;
    }
    const values = (part as { values?: ArrayLike<number> } | null)?.values;
    if (values == null || typeof values !== 'object' || typeof values.length !== 'number') {
      throw new InvalidArgumentError(
        `${fn}: ${arg}[${i}] must be a tensor or an object with values, got ${describeValue(part)}`,
      );
    }
    const shape = (part as { shape?: readonly number[] }).shape;
    if (shape !== undefined && !shapeEq(shape, want)) {
      throw new ShapeError(
        `${fn}: ${arg}[${i}] must match parameter ${describeValue(name)} of shape ${shapeStr(want)}, got shape ${shapeStr(shape)}`,
      );
    }
    if (values.length !== layout.sizes[i]) {
      throw new ShapeError(
        `${fn}: ${arg}[${i}] must have ${layout.sizes[i]} values to match parameter ${describeValue(name)} of shape ${shapeStr(want)}, got ${values.length}`,
      );
    }
    for (let j = 0; j < values.length; j++) out[off + j] = Number(values[j]);
  }
  return out;
}

/** Throws unless every entry of a vector is finite. */
export function assertFiniteVector(fn: string, arg: string, layout: Layout, v: Float64Array): void {
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) {
      let p = 0;
      while (p + 1 < layout.offsets.length && (layout.offsets[p + 1] ?? 0) <= i) p++;
      throw new InvalidArgumentError(
        `${fn}: ${arg} must be finite, got ${v[i]} at index ${i - (layout.offsets[p] ?? 0)} of parameter ${describeValue(layout.params[p]?.name)}`,
      );
    }
  }
}

/** Splits a flat float64 vector into float32 tensors shaped like the parameters (caller disposes). */
export function tensorsFrom(layout: Layout, flat: Float64Array): tf.Tensor[] {
  const f32 = Float32Array.from(flat);
  return layout.shapes.map((shape, i) => {
    const off = layout.offsets[i] ?? 0;
    return tf.tensor(f32.subarray(off, off + (layout.sizes[i] ?? 0)), shape, 'float32');
  });
}

/**
 * Exact copies of the parameters' current values, so that a function that moves them can put
 * them back bit for bit. `restore()` reassigns the copies; `dispose()` restores and frees them.
 */
export class SavedParameters {
  private readonly copies: tf.Tensor[];
  private disposed = false;

  constructor(private readonly layout: Layout) {
    this.copies = layout.variables.map((v) => tf.keep(tf.clone(v)));
  }

  /** The saved values (owned by this object). */
  get tensors(): readonly tf.Tensor[] {
    return this.copies;
  }

  /** Puts the saved values back. */
  restore(): void {
    this.layout.variables.forEach((v, i) => {
      const c = this.copies[i];
      if (c !== undefined && !v.isDisposed) v.assign(c);
    });
  }

  /**
   * Sets each parameter to `Σ coeff_k · dir_k`, plus the saved values unless `withBase` is false
   * (computed on the engine in float32). A zero coefficient adds nothing, so `coeff = 0` leaves the
   * saved value exact.
   */
  moveTo(
    directions: readonly (readonly tf.Tensor[])[],
    coefficients: readonly number[],
    withBase = true,
  ): void {
    this.layout.variables.forEach((v, i) => {
      const next = tf.tidy(() => {
        let t: tf.Tensor | undefined = withBase ? (this.copies[i] as tf.Tensor) : undefined;
        directions.forEach((d, k) => {
          const c = coefficients[k] ?? 0;
          const part = d[i] as tf.Tensor;
          if (c === 0) return;
          const term = c === 1 ? part : tf.mul(part, tf.scalar(c));
          t = t === undefined ? term : tf.add(t, term);
        });
        if (t === undefined) return tf.zerosLike(v);
        return t === this.copies[i] || directions.some((d) => d[i] === t) ? tf.clone(t) : t;
      });
      v.assign(next);
      next.dispose();
    });
  }

  /** Restores the values and frees the copies; safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    this.restore();
    for (const c of this.copies) c.dispose();
    this.disposed = true;
  }
}
