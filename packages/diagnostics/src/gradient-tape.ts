import type { Context, Parameter } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { activationStatsAt } from './internal/activation-layout.js';
import { pairSquared } from './internal/norms.js';
import { runTape, type TapMode } from './internal/tap-recorder.js';
import { BatchedRead, disposeAll } from './internal/tensors.js';

export type { TapMode } from './internal/tap-recorder.js';

/** Statistics of the activation that passed through a tap, over the whole batch. */
export interface ActivationStats {
  /** Mean of every entry. */
  readonly mean: number;
  /** Standard deviation of every entry (population form). */
  readonly std: number;
  /** Smallest entry. */
  readonly min: number;
  /** Largest entry. */
  readonly max: number;
  /** Fraction of entries exactly zero (for ReLU nets: inactive units on this batch). */
  readonly zeroFraction: number;
  /** Fraction of units (last axis) that are zero for every example in the batch: dead units. */
  readonly deadUnitFraction: number;
}

/** What one tap point saw, as plain numbers. */
export interface TapStat {
  /** The tap's name (`blocks.3`, `h.17`); a name tapped again in the same pass gets `#2`, `#3`. */
  readonly name: string;
  /** Shape of the tapped tensor. */
  readonly shape: readonly number[];
  /** ‖∂L/∂h‖ (Frobenius norm), or `null` when no gradient reached this point. */
  readonly gradNorm: number | null;
  /** Activation statistics, when the tape was asked for them. */
  readonly activation?: ActivationStats;
}

/** Options of {@link gradientTape}. */
export interface GradientTapeOptions {
  /** The parameters to differentiate with respect to (unique names). */
  readonly params: readonly Parameter[];
  /** What the taps record: `'norms'` (default), `'tensors'` (norms and the gradients) or `'none'`. */
  readonly taps?: TapMode;
  /** Whether taps also record activation statistics (default false). */
  readonly activations?: boolean;
  /** `ctx.training` as the model sees it (default true). */
  readonly training?: boolean;
}

/** The result of {@link gradientTape}. Its tensors are the caller's: call `dispose()` when done. */
export interface GradientTapeResult {
  /** The loss returned by `fn`. */
  readonly loss: tf.Scalar;
  /**
   * The loss as a number; NaN or ±Infinity when the loss is not finite (the tape is still returned,
   * so that the gradients can be inspected to find where the non-finite values start).
   */
  readonly lossValue: number;
  /** ∂L/∂θ for every connected parameter, keyed by parameter name. */
  readonly paramGrads: Readonly<Record<string, tf.Tensor>>;
  /** Parameters the loss does not depend on (no gradient path): reported, not an error. */
  readonly disconnected: readonly string[];
  /** ∂L/∂h at every tap, keyed by tap name (only with `taps: 'tensors'`). */
  readonly tapGrads: Readonly<Record<string, tf.Tensor>>;
  /** Per tap, in the order the forward pass met them: gradient norm and activation statistics. */
  readonly tapStats: readonly TapStat[];
  /** Disposes `loss`, `paramGrads` and `tapGrads`. */
  dispose(): void;
}

/**
 * Runs `fn(ctx)`, which returns a scalar loss, and returns the gradients of the parameters and of
 * every tapped activation: the tfjs counterpart of PyTorch's tensor hooks.
 *
 * Each `ctx.tap(name, h)` wraps `h` in a `tf.customGrad` identity whose gradient function records
 * the incoming gradient ∂L/∂h (its squared norm as a scalar kept on the device, and the tensor
 * itself with `taps: 'tensors'`). A layer that runs a whole sequence as one fused op
 * (`vanillaRNN`, `lstm`, `gru` on wasm) hands the tape ∂L/∂h_t of every step at once through `ctx.tapSteps`, and
 * the tape records the same per-step norms and tensors from it; with `activations: true` the
 * tape declines, and such a layer runs step by step. Every norm and statistic is read back in one
 * batched transfer.
 *
 * @param fn - Runs the model with the given context and returns the loss (a rank-0 tensor).
 * @param options - The parameters, what the taps record, and the training flag.
 * @returns Loss, parameter gradients, tap gradients and tap statistics; the tensors are the
 *   caller's to dispose (`result.dispose()`).
 * @throws InvalidArgumentError (from `@gflow/core`) when `fn` is not a function, does not return a
 *   scalar, or `params` are malformed or have duplicate names.
 *
 * @example
 * ```ts
 * const tape = gradientTape((ctx) => tf.tidy(() => {
 *   const y = model.apply(x, ctx);
 *   return tf.losses.meanSquaredError(t, y) as tf.Scalar;
 * }), { params: model.parameters() });
 * console.log(tape.tapStats.map((s) => [s.name, s.gradNorm]));
 * tape.dispose();
 * ```
 * @see Paszke et al. 2019, PyTorch (tensor hooks, `register_hook`).
 */
export function gradientTape(
  fn: (ctx: Context) => tf.Scalar,
  options: GradientTapeOptions,
): GradientTapeResult {
  const mode = options?.taps ?? 'norms';
  const raw = runTape(
    'gradientTape',
    fn,
    options?.params,
    mode,
    options?.activations ?? false,
    options?.training ?? true,
  );
  const reader = new BatchedRead();
  const lossAt = reader.add(tf.clone(raw.loss));
  const gradAt = raw.taps.map((t) => (t.gradPair ? reader.add(t.gradPair) : -1));
  const actAt = raw.taps.map((t) => (t.activation ? reader.add(t.activation) : -1));
  const v = reader.read();
  const tapGrads: Record<string, tf.Tensor> = {};
  const tapStats: TapStat[] = raw.taps.map((t, i) => {
    if (t.grad) tapGrads[t.name] = t.grad;
    const g = gradAt[i] as number;
    const a = actAt[i] as number;
    const stat: TapStat = {
      name: t.name,
      shape: t.shape,
      gradNorm: g >= 0 ? Math.sqrt(pairSquared(v[g] as number, v[g + 1] as number)) : null,
      ...(a >= 0 ? { activation: activationStatsAt(v, a) } : {}),
    };
    return stat;
  });
  return {
    loss: raw.loss,
    lossValue: v[lossAt] as number,
    paramGrads: raw.grads,
    disconnected: raw.disconnected,
    tapGrads,
    tapStats,
    dispose() {
      if (!raw.loss.isDisposed) raw.loss.dispose();
      disposeAll(raw.grads);
      disposeAll(tapGrads);
    },
  };
}

/**
 * The former name of {@link GradientTapeResult}.
 *
 * @deprecated Renamed `GradientTapeResult` (results are named after the function that makes
 *   them); this alias goes in the next major release.
 */
export type TapeResult = GradientTapeResult;
