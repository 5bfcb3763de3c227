import * as tf from '@tensorflow/tfjs';
import { type ResolvedActivation, resolveActivation } from '../activations.js';
import type { InitSpec } from '../initializers.js';
import { KernelCell } from '../internal/projected-cell.js';
import { resolveRecurrentInit } from '../internal/recurrent-options.js';
import { checkNumber, checkOptions } from '../internal/validate.js';
import type { RecurrentModel, SimpleRecurrentOptions } from './options.js';
import { RecurrentStack, resolveRecurrent } from './rnn-core.js';

/** Options of {@link highwayRNN}. */
export interface HighwayRNNOptions extends SimpleRecurrentOptions {
  /** Initial bias of the transform gate T (default −2: carry the state at initialization). */
  readonly gateBias?: number;
}

class HighwayCell extends KernelCell {
  constructor(
    prefix: string,
    inputSize: number,
    hiddenSize: number,
    init: InitSpec,
    recurrentInit: InitSpec,
    gateBias: number,
    seed: number,
    private readonly act: ResolvedActivation,
  ) {
    // b = [b_H | b_T], b_T = gateBias
    const bias = new Float32Array(2 * hiddenSize).fill(gateBias, hiddenSize);
    super(prefix, inputSize, hiddenSize, 2, init, recurrentInit, seed, bias);
  }

  step(u: tf.Tensor2D, [h]: tf.Tensor2D[], _p: unknown, hIn?: tf.Tensor2D): tf.Tensor2D[] {
    const hh = h as tf.Tensor2D;
    const z = tf.add(u, tf.matMul(hIn ?? hh, this.recurrent as tf.Tensor2D));
    const [zh, zt] = tf.split(z, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    const H = this.act.fn(zh);
    const T = tf.sigmoid(zt);
    return [tf.add(hh, tf.mul(T, tf.sub(H, hh)))];
  }
}

/**
 * A highway recurrent network: h_t = T⊙H + (1 − T)⊙h_{t−1} with H = φ(x_t U_H + h_{t−1} W_H + b_H)
 * and transform gate T = σ(x_t U_T + h_{t−1} W_T + b_T), b_T starting at `gateBias` (−2), so that the
 * state is carried (Jacobian ≈ I) until the gate learns to open (Srivastava et al. 2015; Zilly et al.
 * 2017 with recurrence depth 1).
 *
 * Taps `h.init`, `h.<t>`; parameters `layers.<l>.input.kernel` ([in, 2H]: H | T), `layers.<l>.bias`,
 * `layers.<l>.recurrent.kernel` ([H, 2H]), `readout.*`.
 *
 * @param options - See {@link HighwayRNNOptions}.
 * @returns The model; input [batch, time, inputSize].
 * @throws InvalidArgumentError (from `@gflow/core`) for sizes of 0 or unknown names, before any tensor
 *   is allocated.
 * @example
 * ```ts
 * const rnn = highwayRNN({ inputSize: 2, hiddenSize: 16, gateBias: -3 });
 * ```
 * @see Zilly et al. 2017, "Recurrent Highway Networks".
 */
export function highwayRNN(options: HighwayRNNOptions): RecurrentModel {
  checkOptions('highwayRNN', options);
  const fn = 'highwayRNN';
  const r = resolveRecurrent(fn, options);
  const act = resolveActivation(options.activation ?? 'tanh', fn, 'options.activation');
  const recurrentInit = resolveRecurrentInit(fn, options);
  const gateBias = checkNumber(fn, 'options.gateBias', options.gateBias ?? -2);
  return new RecurrentStack(
    fn,
    r,
    (_l, inSize, prefix) =>
      new HighwayCell(
        prefix,
        inSize,
        r.hiddenSize,
        options.init ?? 'xavier',
        recurrentInit,
        gateBias,
        r.seed,
        act,
      ),
  );
}
