import * as tf from '@tensorflow/tfjs';
import { type ResolvedActivation, resolveActivation } from '../activations.js';
import { type InitSpec, validateInit } from '../initializers.js';
import { deriveSeed } from '../internal/rng.js';
import { checkNumber } from '../internal/validate.js';
import type { RecurrentModel, SimpleRecurrentOptions } from './options.js';
import { blockValues, Cell, RecurrentStack, resolveRecurrent } from './rnn-core.js';

/** Options of {@link highwayRNN}. */
export interface HighwayRNNOptions extends SimpleRecurrentOptions {
  /** Initial bias of the transform gate T (default −2: carry the state at initialization). */
  readonly gateBias?: number;
}

class HighwayCell extends Cell {
  readonly projectedSize: number;
  private readonly inputKernel: tf.Variable;
  private readonly bias: tf.Variable;
  private readonly recurrent: tf.Variable;

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
    super(prefix, inputSize, hiddenSize);
    const H = hiddenSize;
    this.projectedSize = 2 * H;
    const n = (s: string): string => `${prefix}.${s}`;
    this.inputKernel = this.addParam(
      n('input.kernel'),
      blockValues(init, inputSize, H, 2, deriveSeed(seed, n('input.kernel'))),
      [inputSize, 2 * H],
      'kernel',
    ).variable;
    const b = new Float32Array(2 * H);
    b.fill(gateBias, H);
    this.bias = this.addParam(n('bias'), b, [2 * H], 'bias').variable;
    this.recurrent = this.addParam(
      n('recurrent.kernel'),
      blockValues(recurrentInit, H, H, 2, deriveSeed(seed, n('recurrent.kernel'))),
      [H, 2 * H],
      'recurrent',
    ).variable;
  }

  project(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.inputKernel as tf.Tensor2D), this.bias);
  }

  step(u: tf.Tensor2D, [h]: tf.Tensor2D[]): tf.Tensor2D[] {
    const hh = h as tf.Tensor2D;
    const z = tf.add(u, tf.matMul(hh, this.recurrent as tf.Tensor2D));
    const [zh, zt] = tf.split(z, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    const H = this.act.fn(zh);
    const T = tf.sigmoid(zt);
    return [tf.add(hh, tf.mul(T, tf.sub(H, hh)))];
  }

  recurrentMatrix(): tf.Tensor2D {
    return tf.clone(this.recurrent) as tf.Tensor2D;
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
  const fn = 'highwayRNN';
  const r = resolveRecurrent(fn, options);
  const act = resolveActivation(options.activation ?? 'tanh', fn, 'options.activation');
  const recurrentInit = options.recurrentInit ?? 'orthogonal';
  validateInit(recurrentInit, fn, 'options.recurrentInit');
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
