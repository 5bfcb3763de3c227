import { describeValue, InvalidArgumentError, NonFiniteError, ShapeError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import type { NamedTensors } from './tensors.js';

/** The Gram matrix of K task gradients, float64 on the host, and their parameter names. */
export interface TaskGram {
  /** The parameter names, in the order of the first task's record. */
  readonly names: readonly string[];
  /** Number of tasks K. */
  readonly k: number;
  /** G_ij = ⟨g_i, g_j⟩ over every parameter together, row-major K×K. */
  readonly gram: Float64Array;
}

/**
 * Checks that `tasks` is a non-empty list of gradient records over the same names and shapes
 * (float32 tensors), and returns the names.
 */
export function checkTasks(fn: string, tasks: readonly NamedTensors[]): string[] {
  if (!Array.isArray(tasks) || tasks.length === 0) {
    throw new InvalidArgumentError(
      `${fn}: taskGrads must be a non-empty array of gradient records (one per task), got ${describeValue(tasks)}`,
    );
  }
  const first = tasks[0];
  if (first == null || typeof first !== 'object') {
    throw new InvalidArgumentError(
      `${fn}: taskGrads[0] must be a record of tensors, got ${describeValue(first)}`,
    );
  }
  const names = Object.keys(first);
  if (names.length === 0) {
    throw new InvalidArgumentError(`${fn}: taskGrads[0] must name at least one parameter, got {}`);
  }
  tasks.forEach((t, i) => {
    if (t == null || typeof t !== 'object') {
      throw new InvalidArgumentError(
        `${fn}: taskGrads[${i}] must be a record of tensors, got ${describeValue(t)}`,
      );
    }
    const got = Object.keys(t);
    if (got.length !== names.length || got.some((n) => !names.includes(n))) {
      throw new ShapeError(
        `${fn}: taskGrads[${i}] must have the names of taskGrads[0] ${describeValue(names)}, got ${describeValue(got)}`,
      );
    }
    for (const n of names) {
      const g = t[n];
      if (!(g instanceof tf.Tensor)) {
        throw new InvalidArgumentError(
          `${fn}: taskGrads[${i}][${JSON.stringify(n)}] must be a tensor, got ${describeValue(g)}`,
        );
      }
      if (g.dtype !== 'float32') {
        throw new InvalidArgumentError(
          `${fn}: taskGrads[${i}][${JSON.stringify(n)}] must be float32, got ${g.dtype}`,
        );
      }
      const want: readonly number[] = (first[n] as tf.Tensor).shape;
      if (g.shape.length !== want.length || g.shape.some((d: number, j: number) => d !== want[j])) {
        throw new ShapeError(
          `${fn}: taskGrads[${i}][${JSON.stringify(n)}] must have the shape of taskGrads[0] [${want}], got [${g.shape}]`,
        );
      }
    }
  });
  return names;
}

/**
 * The Gram matrix G_ij = ⟨g_i, g_j⟩ of the task gradients, with one read-back.
 *
 * Each task's gradient is flattened and divided by its largest |entry| m_i on the device, so
 * the float32 products and sums of the scaled vectors neither overflow nor underflow (every
 * term is in [−1, 1]); G_ij = m_i·m_j·⟨ĝ_i, ĝ_j⟩ is then formed in float64 on the host.
 *
 * @throws NonFiniteError when a task's gradient holds NaN or ±Infinity.
 */
export function taskGram(fn: string, tasks: readonly NamedTensors[]): TaskGram {
  const names = checkTasks(fn, tasks);
  const k = tasks.length;
  const [maxes, bad, scaledGram] = tf.tidy(() => {
    const rows = tasks.map((t) => tf.concat(names.map((n) => tf.reshape(t[n] as tf.Tensor, [-1]))));
    const s = tf.stack(rows) as tf.Tensor2D;
    const m = tf.max(tf.abs(s), 1);
    const nonFinite = tf.sum(tf.cast(tf.logicalNot(tf.isFinite(s)), 'float32'), 1);
    // Divided (not multiplied by 1/m, which overflows for a subnormal m); a zero row stays zero.
    const safe = tf.where(tf.greater(m, 0), m, tf.onesLike(m));
    const sn = tf.div(s, tf.reshape(safe, [k, 1]));
    return [m, nonFinite, tf.matMul(sn, sn, false, true)];
  });
  const m = Float64Array.from(maxes.dataSync());
  const nf = bad.dataSync();
  const sg = scaledGram.dataSync();
  tf.dispose([maxes, bad, scaledGram]);
  for (let i = 0; i < k; i++) {
    if ((nf[i] as number) > 0 || !Number.isFinite(m[i] as number)) {
      throw new NonFiniteError(
        `${fn}: taskGrads[${i}] must be finite, got ${nf[i]} NaN or ±Infinity entries`,
      );
    }
  }
  const gram = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      // Symmetric by construction (the float32 product may differ in its last bit).
      const v =
        (m[i] as number) * (m[j] as number) * 0.5 * ((sg[i * k + j] as number) + (sg[j * k + i] as number));
      gram[i * k + j] = v;
      gram[j * k + i] = v;
    }
  }
  return { names, k, gram };
}

/** Σ_k w_k g_k per parameter (new tensors, the caller's); the weights are float64 on the host. */
export function combineTasks(
  tasks: readonly NamedTensors[],
  names: readonly string[],
  weights: ArrayLike<number>,
): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const n of names) {
    out[n] = tf.tidy(() => {
      const parts: tf.Tensor[] = [];
      tasks.forEach((t, i) => {
        const w = weights[i] as number;
        if (w !== 0) parts.push(tf.mul(t[n] as tf.Tensor, w));
      });
      if (parts.length === 0) return tf.zerosLike(tasks[0]?.[n] as tf.Tensor);
      return parts.length === 1 ? (parts[0] as tf.Tensor) : tf.addN(parts);
    });
  }
  return out;
}
