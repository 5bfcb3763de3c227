import { describeValue, InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { type ActivationSpec, type ResolvedActivation, resolveActivation } from '../activations.js';
import type { InitSpec } from '../initializers.js';
import { ProjectedCell } from '../internal/projected-cell.js';
import { deriveSeed, Rng } from '../internal/rng.js';
import { checkOptions } from '../internal/validate.js';
import type { RecurrentModel, RecurrentOptions } from './options.js';
import { RecurrentStack, resolveRecurrent } from './rnn-core.js';

/** Options of {@link indRNN}. */
export interface IndRNNOptions extends RecurrentOptions {
  /** Activation φ (default `'relu'`, as in the paper). */
  readonly activation?: ActivationSpec;
  /**
   * The range `[lo, hi]` each unit's recurrent weight wᵢ starts uniform in (default `[0, 1]`). With
   * ReLU a unit that stays active passes ∂L/∂h_t back over k steps times wᵢᵏ, so a range
   * [ε^{1/T}, γ^{1/T}] keeps that factor over T steps within [ε, γ] (Li et al. 2018, §3.1).
   */
  readonly recurrentRange?: readonly [number, number];
}

/** h' = φ(u + w ⊙ h): the recurrent weight is one number per unit. */
class IndCell extends ProjectedCell {
  private readonly weights: tf.Variable;

  constructor(
    prefix: string,
    inputSize: number,
    hiddenSize: number,
    init: InitSpec,
    range: readonly [number, number],
    seed: number,
    private readonly act: ResolvedActivation,
  ) {
    super(prefix, inputSize, hiddenSize, 1, init, seed);
    const name = `${prefix}.recurrent.weight`;
    const rng = new Rng(deriveSeed(seed, name));
    const [lo, hi] = range;
    const w = new Float32Array(hiddenSize).map(() => lo + (hi - lo) * rng.uniform());
    this.weights = this.addParam(name, w, [hiddenSize], 'recurrent').variable;
  }

  step(u: tf.Tensor2D, [h]: tf.Tensor2D[], _p: unknown, hIn?: tf.Tensor2D): tf.Tensor2D[] {
    return [this.act.fn(tf.add(u, tf.mul(hIn ?? (h as tf.Tensor2D), this.weights))) as tf.Tensor2D];
  }

  /** diag(w): the recurrent matrix each step multiplies h_{t−1} by. */
  recurrentMatrix(): tf.Tensor2D {
    return tf.diag(this.weights) as tf.Tensor2D;
  }
}

/**
 * The independently recurrent network (IndRNN), h_t = φ(x_t U + w ⊙ h_{t−1} + b): each unit
 * feeds back only its own state, through one weight wᵢ, so the Jacobian ∂h_t/∂h_{t−1} is diagonal,
 * diag(wᵢ·φ′ᵢ), and the gradient of unit i over k steps is ∏ wᵢφ′ᵢ, which is wᵢᵏ for an active
 * ReLU unit: whether it vanishes or explodes is read off each wᵢ directly, and bounding |wᵢ| by
 * `recurrentRange` controls it (Li et al. 2018). Units interact only across stacked layers.
 *
 * Taps `h.init`, `h.<t>` (`layers.<l>.h.<t>` when stacked); parameters `layers.<l>.input.kernel`,
 * `layers.<l>.bias`, `layers.<l>.recurrent.weight` ([H], role `'recurrent'`), `readout.*`.
 * `recurrentMatrix(l)` returns diag(w).
 *
 * @param options - See {@link IndRNNOptions}.
 * @returns The model; input [batch, time, inputSize].
 * @throws InvalidArgumentError (from `@gflow/core`) for sizes of 0, unknown names or a
 *   `recurrentRange` that is not two finite numbers lo ≤ hi, before any tensor is allocated;
 *   ShapeError from `apply` on a mismatched input.
 * @example
 * ```ts
 * // Gradients that neither vanish nor explode over 100 steps: wᵢ ∈ [0.5^{1/100}, 2^{1/100}].
 * const rnn = indRNN({ inputSize: 2, hiddenSize: 64, recurrentRange: [0.5 ** 0.01, 2 ** 0.01] });
 * const hT = rnn.apply(tf.randomNormal([4, 100, 2])); // [4, 64]
 * ```
 * @see Li, Li, Cook, Zhu and Gao 2018, "Independently Recurrent Neural Network (IndRNN): Building
 *   a Longer and Deeper RNN".
 */
export function indRNN(options: IndRNNOptions): RecurrentModel {
  const fn = 'indRNN';
  checkOptions(fn, options);
  const r = resolveRecurrent(fn, options, undefined, 'diagonal');
  const act = resolveActivation(options.activation ?? 'relu', fn, 'options.activation');
  const range = options.recurrentRange ?? [0, 1];
  if (
    !Array.isArray(range) ||
    range.length !== 2 ||
    !range.every((x) => typeof x === 'number' && Number.isFinite(x)) ||
    (range[0] as number) > (range[1] as number)
  ) {
    throw new InvalidArgumentError(
      `${fn}: options.recurrentRange must be [lo, hi], two finite numbers with lo ≤ hi, got ${describeValue(range)}`,
    );
  }
  return new RecurrentStack(
    fn,
    r,
    (_l, inSize, prefix) =>
      new IndCell(prefix, inSize, r.hiddenSize, options.init ?? 'xavier', range, r.seed, act),
  );
}
