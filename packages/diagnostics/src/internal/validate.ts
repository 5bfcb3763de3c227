import { describeValue, InvalidArgumentError, ShapeError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';

export { checkInRange, checkInteger, checkNonNegative } from '@gflow/core/internal';

/** The names and shapes a transform was initialised with (parameter name → shape). */
export type TensorSpec = Readonly<Record<string, readonly number[]>>;

/** Records the names and shapes of `tensors`. */
export function specOf(fn: string, tensors: Readonly<Record<string, tf.Tensor>>): TensorSpec {
  if (tensors === null || typeof tensors !== 'object') {
    throw new InvalidArgumentError(
      `${fn}: params must be a record of tensors keyed by name, got ${describeValue(tensors)}`,
    );
  }
  const spec: Record<string, readonly number[]> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (t == null || typeof t !== 'object' || !Array.isArray((t as tf.Tensor).shape)) {
      throw new InvalidArgumentError(
        `${fn}: params[${JSON.stringify(name)}] must be a tensor, got ${describeValue(t)}`,
      );
    }
    spec[name] = t.shape.slice();
  }
  return spec;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Throws a ShapeError unless `tensors` has exactly the names of `spec`, each with the same shape.
 */
export function checkAgainstSpec(
  fn: string,
  arg: string,
  tensors: Readonly<Record<string, tf.Tensor>>,
  spec: TensorSpec,
): void {
  if (tensors === null || typeof tensors !== 'object') {
    throw new InvalidArgumentError(
      `${fn}: ${arg} must be a record of tensors keyed by name, got ${describeValue(tensors)}`,
    );
  }
  const names = Object.keys(tensors);
  const expected = Object.keys(spec);
  const missing = expected.filter((n) => !(n in tensors));
  const extra = names.filter((n) => !(n in spec));
  if (missing.length > 0 || extra.length > 0) {
    throw new ShapeError(
      `${fn}: ${arg} must have the names given to init ${describeValue(expected)}, got ${describeValue(names)}` +
        `${missing.length ? ` (missing ${describeValue(missing)})` : ''}${extra.length ? ` (unknown ${describeValue(extra)})` : ''}`,
    );
  }
  for (const n of expected) {
    const t = tensors[n] as tf.Tensor;
    const want = spec[n] as readonly number[];
    if (t == null || !Array.isArray(t.shape)) {
      throw new InvalidArgumentError(
        `${fn}: ${arg}[${JSON.stringify(n)}] must be a tensor, got ${describeValue(t)}`,
      );
    }
    if (!sameShape(t.shape, want)) {
      throw new ShapeError(
        `${fn}: ${arg}[${JSON.stringify(n)}] must have shape ${describeValue(want)}, got ${describeValue(t.shape)}`,
      );
    }
  }
}

/**
 * Checks that `sqNorms` (a `SquaredNorms`) names exactly the tensors of `grads`, each once, and
 * holds one (scale, sum) pair per name.
 */
export function checkSquaredNorms(
  fn: string,
  grads: Readonly<Record<string, tf.Tensor>>,
  sqNorms: { readonly names: readonly string[]; readonly pairs: tf.Tensor },
): void {
  const names = sqNorms?.names;
  const values = sqNorms?.pairs;
  if (!Array.isArray(names) || !(values instanceof tf.Tensor)) {
    throw new InvalidArgumentError(
      `${fn}: sqNorms must be {names, pairs} with a tensor of pairs, got ${describeValue(sqNorms)}`,
    );
  }
  const keys = Object.keys(grads);
  const unique = new Set(names);
  if (unique.size !== names.length || names.length !== keys.length || keys.some((k) => !unique.has(k))) {
    throw new InvalidArgumentError(
      `${fn}: sqNorms.names must be exactly the names of grads ${describeValue(keys)}, got ${describeValue(names)}`,
    );
  }
  if (values.rank !== 1 || values.size !== 2 * names.length) {
    throw new InvalidArgumentError(
      `${fn}: sqNorms.pairs must have shape [${2 * names.length}], got ${describeValue(values.shape)}`,
    );
  }
}
