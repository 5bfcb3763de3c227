import { describeValue, InvalidArgumentError } from '@gflow/core';
import type * as tf from '@tensorflow/tfjs';

/** What a parameter is for; reports, clipping and landscape directions key on it. */
export type ParameterRole = 'kernel' | 'bias' | 'norm' | 'gate' | 'recurrent' | 'other';

/**
 * A trainable tensor of a {@link Module}, under a stable dotted name such as
 * `blocks.3.conv1.kernel`.
 */
export interface Parameter {
  /** Stable dotted path; reports, plots and tests key on it. */
  readonly name: string;
  /** The tfjs variable holding the value. */
  readonly variable: tf.Variable;
  /** What the parameter is for. */
  readonly role: ParameterRole;
  /**
   * True when the module's `apply` reads this parameter's values synchronously on the host (the
   * orthogonal RNN's generators: its matrix exponential, Cayley map and Householder product run in
   * float64 on the host). gflow's async drivers (`trainStepAsync`, `measureGradientFlowAsync`,
   * `hessianEigenvaluesAsync`, `lossLineAsync`) await such a parameter's `data()` before each
   * forward pass (see `prefetchParameters`), so that on webgpu the read takes tfjs's host copy.
   * Absent (false) for every other parameter.
   */
  readonly hostRead?: boolean;
}

/**
 * What a {@link Module} sees while it runs: whether it is training, and a tap through which every
 * point worth observing passes.
 */
export interface Context {
  /** Training mode (batch statistics, dropout on) or inference mode. */
  readonly training: boolean;
  /**
   * Observe a tensor. A model calls `h = ctx.tap('blocks.3', h)` and continues with what it
   * returns; without a listener this is the identity.
   */
  tap(name: string, t: tf.Tensor): tf.Tensor;
  /**
   * Optional: observe a whole sequence of steps at once. A recurrent model that runs its steps as
   * one fused op (`vanillaRNN` with tanh, `lstm`, `gru` on wasm) calls `tapSteps(names, shape)` where
   * it would otherwise call `tap(names[t], h_t)` for every step t, in the same order. The listener
   * returns a function that the model calls during the backward pass with ∂L/∂h_t of every step,
   * stacked step-major ([names.length, ...shape]; the total gradient, from downstream and through
   * the recurrence, as `tap` would see it), or `undefined`, and the model then runs step by step
   * through `tap`. Without this member the model also runs step by step. gflow's own listeners
   * (`gradientTape`, `measureGradientFlow`, `trainStep`) implement it.
   */
  tapSteps?(names: readonly string[], shape: readonly number[]): StepGradients | undefined;
}

/**
 * Receives ∂L/∂h_t of every step of a fused recurrent op, stacked step-major; called at most once
 * per backward pass, inside it (keep what must outlive it). See {@link Context.tapSteps}.
 *
 * A listener that records only each step's gradient norm may also give it a `norms` member: a
 * fused op whose kernel computes the norms where the gradients are (the vanilla tanh RNN on wasm)
 * then calls that instead, once, with each step's scaled pair [steps, 2] (float32 [m, s], with
 * ‖∂L/∂h_t‖² = m²·s, m = max(max|x|, 2⁻¹²⁶) and s = Σx²/m², the sum in float64: the pair the
 * listener would compute from the gradients), and the [steps, ...] gradients are never made.
 */
export type StepGradients = ((grads: tf.Tensor) => void) & {
  /**
   * Called instead of the listener itself, once per backward pass, with each step's scaled pair
   * [steps, 2] (float32 [m, s], ‖∂L/∂h_t‖² = m²·s), by a fused op that computes the norms where the
   * gradients are; the listener's own call then never happens.
   */
  readonly norms?: (pairs: tf.Tensor) => void;
};

/**
 * The protocol every gflow model implements.
 *
 * @example
 * ```ts
 * const y = model.apply(x, { training: true, tap: (_name, t) => t });
 * ```
 */
export interface Module {
  /** The module's name, used as the prefix of its parameters' names. */
  readonly name: string;
  /** The trainable parameters, in a stable order. */
  parameters(): readonly Parameter[];
  /** Runs the module on `x`. The result is the caller's to dispose. */
  apply(x: tf.Tensor, ctx?: Context): tf.Tensor;
}

/** The contexts made by {@link identityContext} (frozen, so their tap stays the identity). */
const identityContexts = new WeakSet<Context>();

/**
 * A context whose tap is the identity: nothing is observed. Models may skip work that only a
 * listener needs (a recurrent net's initial state is then plain zeros, not zeros placed on the
 * gradient tape; see `h.init`). The object is frozen.
 *
 * @param training - Training mode (batch statistics, dropout on); default false.
 * @returns The context.
 * @throws InvalidArgumentError (from `@gflow/core`) unless `training` is a boolean.
 * @example
 * ```ts
 * const y = model.apply(x, identityContext(true)); // training mode, no taps
 * ```
 */
export function identityContext(training = false): Context {
  if (typeof training !== 'boolean') {
    throw new InvalidArgumentError(
      `identityContext: training must be true or false, got ${describeValue(training)}`,
    );
  }
  const ctx: Context = Object.freeze({ training, tap: (_name: string, t: tf.Tensor) => t });
  identityContexts.add(ctx);
  return ctx;
}

/**
 * Whether `ctx` is one made by {@link identityContext}, so that no one observes its taps.
 * @internal
 */
export function isIdentityContext(ctx: Context): boolean {
  return identityContexts.has(ctx);
}
