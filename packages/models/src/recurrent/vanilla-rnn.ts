import * as tf from '@tensorflow/tfjs';
import { type ResolvedActivation, resolveActivation } from '../activations.js';
import type { InitSpec } from '../initializers.js';
import { KernelCell } from '../internal/projected-cell.js';
import { resolveRecurrentInit } from '../internal/recurrent-options.js';
import { checkNumber, checkOptions } from '../internal/validate.js';
import type { RecurrentModel, SimpleRecurrentOptions } from './options.js';
import { type FusedCell, RecurrentStack, resolveRecurrent } from './rnn-core.js';

/** Which update a {@link SimpleCell} computes. @internal */
export type SimpleKind = 'vanilla' | 'residual';

/** h' = φ(u + hW) (vanilla) or h + s·φ(u + hW) (residual). @internal */
export class SimpleCell extends KernelCell {
  constructor(
    prefix: string,
    inputSize: number,
    hiddenSize: number,
    init: InitSpec,
    recurrentInit: InitSpec,
    seed: number,
    private readonly act: ResolvedActivation,
    private readonly kind: SimpleKind,
    private readonly branchScale: number,
  ) {
    super(prefix, inputSize, hiddenSize, 1, init, recurrentInit, seed);
  }

  override fusedKernel(): FusedCell | undefined {
    return this.kind === 'vanilla' && this.act.name === 'tanh'
      ? { kind: 'tanh', w: this.recurrent as tf.Tensor2D }
      : undefined;
  }

  step(u: tf.Tensor2D, [h]: tf.Tensor2D[], _p: unknown, hIn?: tf.Tensor2D): tf.Tensor2D[] {
    const z = this.act.fn(tf.add(u, tf.matMul(hIn ?? (h as tf.Tensor2D), this.recurrent as tf.Tensor2D)));
    if (this.kind === 'vanilla') return [z as tf.Tensor2D];
    return [tf.add(h as tf.Tensor2D, this.branchScale === 1 ? z : tf.mul(z, this.branchScale))];
  }
}

/** Builds a vanilla or residual stack. @internal */
export function simpleStack(
  fn: string,
  o: SimpleRecurrentOptions,
  kind: SimpleKind,
  branchScale = 1,
): RecurrentModel {
  const r = resolveRecurrent(fn, o);
  const act = resolveActivation(o.activation ?? 'tanh', fn, 'options.activation');
  const recurrentInit = resolveRecurrentInit(fn, o);
  const s = checkNumber(fn, 'options.branchScale', branchScale);
  return new RecurrentStack(
    fn,
    r,
    (_l, inSize, prefix) =>
      new SimpleCell(prefix, inSize, r.hiddenSize, o.init ?? 'xavier', recurrentInit, r.seed, act, kind, s),
  );
}

/**
 * The vanilla (Elman) recurrent network, h_t = φ(x_t U + h_{t−1} W + b), tapped at every step.
 * Backpropagated through time the gradient is multiplied by Wᵀ·diag(φ′) once per step, so
 * ‖∂h_T/∂h_0‖ ≤ (‖W‖·max|φ′|)^T: it vanishes geometrically when that factor is below 1
 * (Bengio et al. 1994; Pascanu et al. 2013). `{ activation: 'relu', recurrentInit: 'identity' }` is
 * the IRNN of Le et al. 2015.
 *
 * With tanh on the wasm engine (`@gflow/backend`'s fused kernels) each layer runs as one op over
 * the whole sequence, forward and backward, with the same taps (see the package README,
 * "Decisions"); elsewhere, and for listeners that need each step, it runs step by step.
 *
 * Taps `h.init` (the zero initial state; under a listening context it is on the gradient tape, so
 * its tap receives ∂L/∂h₀, as in every recurrent model here), `h.<t>` (`layers.<l>.h.<t>` when
 * stacked); parameters `layers.<l>.input.kernel`, `layers.<l>.bias`, `layers.<l>.recurrent.kernel`
 * (role `'recurrent'`), `readout.*`.
 *
 * @param options - See {@link SimpleRecurrentOptions}.
 * @returns The model; input [batch, time, inputSize].
 * @throws InvalidArgumentError (from `@gflow/core`) for sizes of 0 or unknown names, before any tensor
 *   is allocated; ShapeError from `apply` on a mismatched input.
 * @example
 * ```ts
 * const rnn = vanillaRNN({ inputSize: 2, hiddenSize: 32, recurrentInit: { name: 'orthogonal', gain: 0.9 } });
 * const hT = rnn.apply(tf.randomNormal([4, 50, 2])); // [4, 32]
 * ```
 * @see Pascanu, Mikolov and Bengio 2013, "On the difficulty of training recurrent neural networks"; Le, Jaitly and Hinton 2015 (IRNN).
 */
export function vanillaRNN(options: SimpleRecurrentOptions): RecurrentModel {
  checkOptions('vanillaRNN', options);
  return simpleStack('vanillaRNN', options, 'vanilla');
}
