import { describeValue, InvalidArgumentError } from '@gflow/core';
import { stepScaledPairs } from '@gflow/core/internal';
import type { Context, Parameter } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { HOST_MEMORY_ENGINES, hostActivationStats } from './host-activation-stats.js';
import { pairsOnHost, scaledPair, scaledPairs } from './norms.js';
import { alias, f32 } from './tensors.js';

/** What a tap records: nothing, the gradient's norm, or the gradient itself too. */
export type TapMode = 'none' | 'norms' | 'tensors';

/** Tensors (kept, caller-owned) recorded at one tap point. */
export interface RecordedTap {
  readonly name: string;
  readonly shape: readonly number[];
  /**
   * ‖∂L/∂h‖ as a kept scale-safe pair [m, s] (‖∂L/∂h‖² = m²·s, see `internal/norms.ts`); absent
   * when no gradient reached the tap.
   */
  gradPair?: tf.Tensor1D;
  /** ∂L/∂h, only in 'tensors' mode. */
  grad?: tf.Tensor;
  /** [mean, std, min, max, zeroFraction, deadUnitFraction] of the activation, when asked. */
  activation?: tf.Tensor1D;
}

/** The raw result of {@link runTape}: every tensor here is the caller's to dispose. */
export interface RawTape {
  readonly loss: tf.Scalar;
  readonly grads: Record<string, tf.Tensor>;
  readonly disconnected: string[];
  readonly taps: RecordedTap[];
}

/**
 * Statistics of one activation: [mean, std, min, max, zeroFraction, deadUnitFraction]. On an
 * engine whose tensors live in host memory they are computed in JavaScript from one read-back
 * (float64); elsewhere, or with `onDevice`, by reductions on the device.
 */
export function activationStatsTensor(
  h: tf.Tensor,
  onDevice = !HOST_MEMORY_ENGINES.has(tf.getBackend()),
): tf.Tensor1D {
  if (!onDevice && (h.dtype === 'float32' || h.dtype === 'int32' || h.dtype === 'bool')) {
    const units = h.rank >= 1 ? h.shape[h.rank - 1]! : 1;
    // A rank-0 or rank-1 activation has one unit, as on the device path (the max over everything).
    const stats = hostActivationStats(h.dataSync() as ArrayLike<number>, h.rank >= 2 ? units : 1);
    return tf.tensor1d(stats, 'float32');
  }
  return tf.tidy(() => {
    const x = f32(h);
    const { mean, variance } = tf.moments(x);
    const zero = tf.mean(tf.cast(tf.equal(x, 0), 'float32'));
    // A unit is the last axis (feature or channel); it is dead when it is exactly zero for every
    // example (and position) in the batch.
    let dead: tf.Tensor;
    if (x.rank >= 2) {
      const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
      dead = tf.mean(tf.cast(tf.equal(tf.max(tf.abs(x), axes), 0), 'float32'));
    } else {
      dead = tf.cast(tf.equal(tf.max(tf.abs(x)), 0), 'float32');
    }
    return tf.stack([mean, tf.sqrt(variance), tf.min(x), tf.max(x), zero, dead]) as tf.Tensor1D;
  });
}

/**
 * Records the gradients of a fused op's steps: `grads` is ∂L/∂h_t of every step, stacked
 * step-major. Each step's scaled pair is the one `tap` records: on host-memory engines
 * `hostScaledPair` of the step's values from ONE read-back of the whole stack (rather than one
 * per step), elsewhere `scaledPairs`' reductions per step.
 */
function recordSteps(recs: readonly RecordedTap[], grads: tf.Tensor, mode: TapMode): void {
  const T = recs.length;
  const steps = mode === 'tensors' || !pairsOnHost() ? tf.unstack(grads) : undefined;
  let pairs: tf.Tensor;
  if (steps === undefined) {
    pairs = tf.tensor2d(stepScaledPairs(grads.dataSync() as Float32Array, T), [T, 2]);
  } else {
    const named: Record<string, tf.Tensor> = {};
    recs.forEach((r, i) => {
      named[r.name] = steps[i] as tf.Tensor;
    });
    pairs = tf.reshape(
      scaledPairs(
        named,
        recs.map((r) => r.name),
      ),
      [T, 2],
    );
  }
  const rows = T === 1 ? [tf.reshape(pairs, [2]) as tf.Tensor1D] : (tf.unstack(pairs) as tf.Tensor1D[]);
  pairs.dispose();
  recs.forEach((r, i) => {
    r.gradPair?.dispose();
    r.gradPair = tf.keep(rows[i] as tf.Tensor1D);
    if (mode === 'tensors') {
      r.grad?.dispose();
      r.grad = tf.keep(steps?.[i] as tf.Tensor);
    }
  });
}

/**
 * Records the scaled pairs [T, 2] of a fused op's steps (what {@link recordSteps} computes from
 * the gradients, handed by the op's kernel instead; see `StepGradients.norms`).
 */
function recordPairs(recs: readonly RecordedTap[], pairs: tf.Tensor): void {
  const T = recs.length;
  const rows = T === 1 ? [tf.reshape(pairs, [2]) as tf.Tensor1D] : (tf.unstack(pairs) as tf.Tensor1D[]);
  recs.forEach((r, i) => {
    r.gradPair?.dispose();
    r.gradPair = tf.keep(rows[i] as tf.Tensor1D);
  });
}

/**
 * Runs `fn(ctx)` under a gradient tape and returns the loss, the gradient of every parameter, and
 * what the taps recorded. Every tensor returned is the caller's to dispose.
 */
export function runTape(
  fnName: string,
  fn: (ctx: Context) => tf.Scalar,
  params: readonly Parameter[],
  mode: TapMode,
  activations: boolean,
  training: boolean,
): RawTape {
  // Kept whole: the taps' custom-gradient closures, the gradient tape and the cleanup on failure share one scope: the closures write into the records that the tape's result and the error path both dispose.
  if (typeof fn !== 'function') {
    throw new InvalidArgumentError(
      `${fnName}: fn must be a function (ctx) => tf.Scalar, got ${describeValue(fn)}`,
    );
  }
  if (!Array.isArray(params) || params.length === 0) {
    throw new InvalidArgumentError(
      `${fnName}: params must be a non-empty array of Parameter, got ${describeValue(params)}`,
    );
  }
  const seen = new Set<string>();
  for (const p of params) {
    if (p == null || typeof p.name !== 'string' || !(p.variable instanceof tf.Variable)) {
      throw new InvalidArgumentError(
        `${fnName}: params must hold {name, variable: tf.Variable, role}, got ${describeValue(p)}`,
      );
    }
    if (seen.has(p.name)) {
      throw new InvalidArgumentError(
        `${fnName}: params must have unique names, got ${JSON.stringify(p.name)} twice`,
      );
    }
    seen.add(p.name);
  }
  const taps: RecordedTap[] = [];
  const counts = new Map<string, number>();
  const tapOp =
    mode === 'none'
      ? undefined
      : (rec: RecordedTap) =>
          tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
            value: alias(args[0] as tf.Tensor),
            gradFunc: (dy: tf.Tensor) => {
              // Called once, with the gradient accumulated over every use of the tap's output.
              rec.gradPair?.dispose();
              rec.gradPair = tf.keep(scaledPair(dy));
              if (mode === 'tensors') {
                rec.grad?.dispose();
                rec.grad = tf.keep(alias(dy));
              }
              return alias(dy);
            },
          }));
  const ctx: Context = {
    training,
    tap(name: string, t: tf.Tensor): tf.Tensor {
      if (mode === 'none' && !activations) return t;
      const k = (counts.get(name) ?? 0) + 1;
      counts.set(name, k);
      const rec: RecordedTap = { name: k === 1 ? name : `${name}#${k}`, shape: t.shape.slice() };
      taps.push(rec);
      if (activations) rec.activation = tf.keep(activationStatsTensor(t));
      return tapOp ? (tapOp(rec)(t) as tf.Tensor) : t;
    },
  };
  // A fused recurrent op's steps, taken as one (see Context.tapSteps). Activation statistics need
  // each h_t, so with them the model runs step by step. With nothing recorded the fused op runs
  // and its step gradients are not asked for.
  if (!activations) {
    ctx.tapSteps = (names: readonly string[], shape: readonly number[]) => {
      if (mode === 'none') return () => {};
      const recs = names.map((name): RecordedTap => {
        const k = (counts.get(name) ?? 0) + 1;
        counts.set(name, k);
        return { name: k === 1 ? name : `${name}#${k}`, shape: shape.slice() };
      });
      taps.push(...recs);
      const sink = (grads: tf.Tensor) => recordSteps(recs, grads, mode);
      // Norms only, computed on the host anyway: a fused op may hand each step's pair directly.
      return mode === 'norms' && pairsOnHost()
        ? Object.assign(sink, { norms: (pairs: tf.Tensor) => recordPairs(recs, pairs) })
        : sink;
    };
  }
  const vars = params.map((p) => p.variable);
  // An exception thrown inside tf.engine().gradients leaves tfjs's scope stack unbalanced (tensors
  // leak from then on), so errors raised by `fn` or by our checks are caught inside, replaced by a
  // constant loss, and rethrown once the engine is back in order.
  let failure: { error: unknown } | undefined;
  const result = tf.engine().gradients(
    () => {
      let loss: unknown;
      try {
        loss = fn(ctx);
      } catch (error) {
        failure = { error };
        return tf.scalar(0);
      }
      if (!(loss instanceof tf.Tensor) || loss.rank !== 0) {
        failure = {
          error: new InvalidArgumentError(
            `${fnName}: fn must return a scalar tensor (the loss), got ${
              loss instanceof tf.Tensor
                ? `a tensor of shape ${describeValue(loss.shape)}`
                : describeValue(loss)
            }`,
          ),
        };
        return tf.scalar(0);
      }
      return loss;
    },
    vars,
    undefined,
    true,
  ) as { value: tf.Tensor; grads: (tf.Tensor | null)[] };
  if (failure) {
    result.value.dispose();
    for (const g of result.grads) g?.dispose();
    for (const r of taps) {
      r.gradPair?.dispose();
      r.grad?.dispose();
      r.activation?.dispose();
    }
    throw failure.error;
  }
  const grads: Record<string, tf.Tensor> = {};
  const disconnected: string[] = [];
  params.forEach((p, i) => {
    const g = result.grads[i];
    if (g == null) disconnected.push(p.name);
    else grads[p.name] = g;
  });
  return { loss: result.value as tf.Scalar, grads, disconnected, taps };
}
