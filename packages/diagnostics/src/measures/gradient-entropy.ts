import { describeValue, InvalidArgumentError, NonFiniteError } from '@gflow/core';
import type { Model } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { gradientTape } from '../gradient-tape.js';
import { type LossSpec, resolveLoss } from '../internal/loss.js';

/** The information content of one gradient. */
export interface GradientEntropy {
  /**
   * H = −Σ p_i ln p_i in nats, with p_i = |g_i| / Σ_j |g_j|; `null` when every element is 0 (the
   * distribution is undefined: a gradient that vanished entirely).
   */
  readonly entropy: number | null;
  /** H / ln n in [0, 1]: 1 when every element has the same magnitude, 0 when one element holds it all. */
  readonly normalized: number | null;
  /** e^H: how many elements carry the gradient, as if they shared it equally. */
  readonly effectiveCount: number | null;
  /** n, the number of elements. */
  readonly size: number;
}

function valuesOf(fn: string, arg: string, g: tf.Tensor | ArrayLike<number>): ArrayLike<number> {
  if (g instanceof tf.Tensor) {
    if (g.isDisposed) throw new InvalidArgumentError(`${fn}: ${arg} is a disposed tensor; pass a live one.`);
    if (g.dtype !== 'float32' && g.dtype !== 'int32')
      throw new InvalidArgumentError(`${fn}: ${arg} must be a float32 tensor, got dtype ${g.dtype}.`);
    return g.dataSync() as Float32Array;
  }
  if (g === null || typeof g !== 'object' || typeof (g as ArrayLike<number>).length !== 'number')
    throw new InvalidArgumentError(
      `${fn}: ${arg} must be a tensor or an array of numbers, got ${describeValue(g)}.`,
    );
  return g;
}

/**
 * The information content of a gradient: the Shannon entropy of its normalized magnitudes,
 *
 *   H = −Σ_i p_i ln p_i,  p_i = |g_i| / Σ_j |g_j|,
 *
 * with its normalized form H / ln n and the effective number of elements e^H. A gradient spread
 * evenly over its elements has H = ln n; one concentrated in a few elements (a few live units,
 * a few time steps) has small H. Computed on the host in float64 from the float32 values, so it is
 * right at every magnitude (it depends only on ratios).
 *
 * @param g - A gradient (a tensor, read back once, or an array of numbers).
 * @returns Entropy in nats, normalized entropy and effective count; `null`s for an all-zero gradient.
 * @throws InvalidArgumentError for an empty, disposed or non-numeric input; NonFiniteError when an
 *   element is NaN or ±∞ (the distribution is undefined).
 *
 * @example
 * ```ts
 * gradientEntropy([1, 1, 1, 1]); // { entropy: ln 4 = 1.386, normalized: 1, effectiveCount: 4, size: 4 }
 * gradientEntropy([0, 5, 0, 0]); // { entropy: 0, normalized: 0, effectiveCount: 1, size: 4 }
 * ```
 * @see Shannon 1948, "A mathematical theory of communication"; the gradient information content of
 *   the RNN gradient-flow design notes (H_τ per time step).
 */
export function gradientEntropy(g: tf.Tensor | ArrayLike<number>): GradientEntropy {
  const fn = 'gradientEntropy';
  const v = valuesOf(fn, 'g', g);
  const n = v.length;
  if (n === 0) throw new InvalidArgumentError(`${fn}: g is empty; it needs at least one element.`);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(Number(v[i]));
    if (!Number.isFinite(a))
      throw new NonFiniteError(
        `${fn}: g[${i}] is ${v[i]}; the entropy of a gradient with NaN or ±∞ is undefined.`,
      );
    total += a;
  }
  if (total === 0) return { entropy: null, normalized: null, effectiveCount: null, size: n };
  let h = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.abs(Number(v[i])) / total;
    if (p > 0) h -= p * Math.log(p);
  }
  // Rounding can leave h a hair below 0 or above ln n.
  h = Math.min(Math.max(h, 0), Math.log(n));
  return { entropy: h, normalized: n > 1 ? h / Math.log(n) : 0, effectiveCount: Math.exp(h), size: n };
}

/** Options of {@link measureGradientEntropy}. */
export interface MeasureGradientEntropyOptions {
  /** The batch's inputs. */
  readonly inputs: tf.Tensor;
  /** The batch's targets. */
  readonly targets: tf.Tensor;
  /** The loss (default `'meanSquaredError'`). */
  readonly loss?: LossSpec;
  /** Run in training mode (default false). */
  readonly training?: boolean;
}

/** A {@link GradientEntropy} with the name of the tap or parameter it belongs to. */
export interface NamedGradientEntropy extends GradientEntropy {
  /** The tap or parameter. */
  readonly name: string;
}

/** {@link gradientEntropy} of every tap's ∂L/∂h and every parameter's ∂L/∂θ. */
export interface GradientEntropyReport {
  /** The loss on the batch. */
  readonly loss: number;
  /** Per tap, in the model's order. */
  readonly taps: readonly NamedGradientEntropy[];
  /** Per parameter (disconnected parameters are left out). */
  readonly parameters: readonly NamedGradientEntropy[];
}

/**
 * One backward pass on a batch, and the information content ({@link gradientEntropy}) of the
 * gradient at every tap and of every parameter's gradient. Cost: one forward and backward pass
 * plus reading every tap and parameter gradient back to the host once (O(activations +
 * parameters) floats); use it on demand, not every step.
 *
 * @param model - A gflow model.
 * @param options - Batch, loss, training flag.
 * @returns Entropies per tap and per parameter.
 * @throws InvalidArgumentError for a bad model or options (as `gradientTape`).
 *
 * @example
 * ```ts
 * const r = measureGradientEntropy(model, { inputs: x, targets: y });
 * for (const t of r.taps) console.log(t.name, t.normalized);
 * ```
 * @see {@link gradientEntropy}
 */
export function measureGradientEntropy(
  model: Model,
  options: MeasureGradientEntropyOptions,
): GradientEntropyReport {
  const fn = 'measureGradientEntropy';
  if (model === null || typeof model !== 'object' || typeof (model as Model).apply !== 'function')
    throw new InvalidArgumentError(
      `${fn}: model must be a gflow Model (with apply and parameters), got ${describeValue(model)}.`,
    );
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError(
      `${fn}: options must be an object { inputs, targets, loss? }, got ${describeValue(options)}.`,
    );
  const lossFn = resolveLoss(fn, options.loss ?? 'meanSquaredError');
  const tape = gradientTape(
    (ctx) =>
      tf.tidy(() => {
        const y = model.apply(options.inputs, ctx);
        return lossFn(options.targets, y);
      }),
    { params: model.parameters(), taps: 'tensors', training: options.training ?? false },
  );
  try {
    const taps = tape.tapStats
      .filter((s) => tape.tapGrads[s.name] !== undefined)
      .map((s) => ({ name: s.name, ...gradientEntropy(tape.tapGrads[s.name] as tf.Tensor) }));
    const parameters = Object.entries(tape.paramGrads).map(([name, g]) => ({ name, ...gradientEntropy(g) }));
    return { loss: tape.lossValue, taps, parameters };
  } finally {
    tape.dispose();
  }
}
