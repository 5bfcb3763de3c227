import { describeValue, InvalidArgumentError } from '@gflow/core';
import { prefetchReads, type Reads, runReadsSync } from '@gflow/core/internal';
import * as tf from '@tensorflow/tfjs';
import type { Objective } from '../types.js';

/** An objective with its batches read once: `losses()` lists one scalar-producing closure per batch. */
export interface Prepared {
  /** One closure per batch, each returning the batch's scalar loss tensor. */
  readonly parts: readonly (() => tf.Scalar)[];
}

/** Checks an objective and reads its batches once. */
export function prepare<B>(fn: string, objective: Objective<B>, arg = 'lossFn'): Prepared {
  if (typeof objective === 'function') return { parts: [objective] };
  if (objective == null || typeof objective !== 'object' || typeof objective.loss !== 'function') {
    throw new InvalidArgumentError(
      `${fn}: ${arg} must be a function returning a scalar tensor or { loss(batch), batches }, got ${describeValue(objective)}`,
    );
  }
  const it = objective.batches as Iterable<B> | undefined;
  if (it == null || typeof (it as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function') {
    throw new InvalidArgumentError(
      `${fn}: ${arg}.batches must be an iterable of batches, got ${describeValue(it)}`,
    );
  }
  const batches = Array.from(it);
  if (batches.length === 0) {
    throw new InvalidArgumentError(`${fn}: ${arg}.batches must hold at least one batch, got none`);
  }
  const loss = objective.loss;
  return { parts: batches.map((b) => () => loss(b)) };
}

function checkScalar(fn: string, t: unknown): tf.Scalar {
  if (!(t instanceof tf.Tensor)) {
    throw new InvalidArgumentError(`${fn}: lossFn must return a scalar tensor, got ${describeValue(t)}`);
  }
  if (t.rank !== 0) {
    const shape = t.shape;
    t.dispose();
    throw new InvalidArgumentError(
      `${fn}: lossFn must return a scalar tensor, got a tensor of shape [${shape.join(', ')}]`,
    );
  }
  return t as tf.Scalar;
}

/** Calls one loss closure inside `tf.tidy` and checks it returns a scalar. */
export function scalarLoss(fn: string, part: () => tf.Scalar): tf.Scalar {
  return tf.tidy(() => checkScalar(fn, part()));
}

/**
 * Evaluates the objective at the current parameter values: the mean of the batch losses, read
 * back once (the sum runs on the engine).
 */
export function evaluate(fn: string, prepared: Prepared): number {
  return runReadsSync(evaluateReads(fn, prepared));
}

/**
 * {@link evaluate} as a {@link Reads} computation (one read), after a prefetch of `hostRead` (the
 * variables the model's forward pass reads on the host: see `Layout.hostRead`).
 */
export function* evaluateReads(
  fn: string,
  prepared: Prepared,
  hostRead: readonly tf.Variable[] = [],
): Reads<number> {
  yield* prefetchReads(hostRead);
  const n = prepared.parts.length;
  const total = tf.tidy(() => {
    let acc: tf.Scalar | undefined;
    for (const part of prepared.parts) {
      const t = checkScalar(fn, part());
      acc = acc === undefined ? t : (tf.add(acc, t) as tf.Scalar);
    }
    return acc as tf.Scalar;
  });
  const value = (yield total)[0] as number;
  return n > 1 ? value / n : value;
}

/** Describes a non-finite number for a report. */
export function nonFiniteName(x: number): 'NaN' | 'Infinity' | '-Infinity' {
  return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
}
