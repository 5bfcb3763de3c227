import * as tf from '@tensorflow/tfjs';
import { type InitSpec, validateInit } from '../initializers.js';
import { deriveSeed } from '../internal/rng.js';
import { checkNumber } from '../internal/validate.js';
import { chronoValues } from './lstm.js';
import type { RecurrentModel, RecurrentOptions } from './options.js';
import { blockValues, Cell, RecurrentStack, resolveRecurrent } from './rnn-core.js';

/** Options of {@link gru}. */
export interface GRUOptions extends RecurrentOptions {
  /** Recurrent-kernel initializer, per gate block (default `'orthogonal'`). */
  readonly recurrentInit?: InitSpec;
  /** Chrono initialization of the update gate for dependencies up to `chrono` steps: b_z ~ log(U(1, T_max − 1)). */
  readonly chrono?: number;
}

class GRUCell extends Cell {
  readonly projectedSize: number;
  private readonly inputKernel: tf.Variable;
  private readonly bias: tf.Variable;
  private readonly recurrent: tf.Variable;
  private readonly recurrentBias: tf.Variable;

  constructor(
    prefix: string,
    inputSize: number,
    hiddenSize: number,
    init: InitSpec,
    recurrentInit: InitSpec,
    chrono: number | undefined,
    seed: number,
  ) {
    super(prefix, inputSize, hiddenSize);
    const H = hiddenSize;
    this.projectedSize = 3 * H;
    const n = (s: string): string => `${prefix}.${s}`;
    this.inputKernel = this.addParam(
      n('input.kernel'),
      blockValues(init, inputSize, H, 3, deriveSeed(seed, n('input.kernel'))),
      [inputSize, 3 * H],
      'kernel',
    ).variable;
    // gate order [r, z, n]
    const b = new Float32Array(3 * H);
    if (chrono !== undefined) b.set(chronoValues(H, chrono, deriveSeed(seed, n('bias'))), H);
    this.bias = this.addParam(n('bias'), b, [3 * H], 'bias').variable;
    this.recurrent = this.addParam(
      n('recurrent.kernel'),
      blockValues(recurrentInit, H, H, 3, deriveSeed(seed, n('recurrent.kernel'))),
      [H, 3 * H],
      'recurrent',
    ).variable;
    this.recurrentBias = this.addParam(
      n('recurrent.bias'),
      new Float32Array(3 * H),
      [3 * H],
      'bias',
    ).variable;
  }

  project(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.inputKernel as tf.Tensor2D), this.bias);
  }

  step(u: tf.Tensor2D, [h]: tf.Tensor2D[]): tf.Tensor2D[] {
    const hh = h as tf.Tensor2D;
    const w = tf.add(tf.matMul(hh, this.recurrent as tf.Tensor2D), this.recurrentBias);
    const [ur, uz, un] = tf.split(u, 3, 1) as tf.Tensor2D[];
    const [wr, wz, wn] = tf.split(w, 3, 1) as tf.Tensor2D[];
    const r = tf.sigmoid(tf.add(ur as tf.Tensor2D, wr as tf.Tensor2D));
    const z = tf.sigmoid(tf.add(uz as tf.Tensor2D, wz as tf.Tensor2D));
    const nn = tf.tanh(tf.add(un as tf.Tensor2D, tf.mul(r, wn as tf.Tensor2D)));
    // h' = (1 − z)⊙n + z⊙h = n + z⊙(h − n)
    return [tf.add(nn, tf.mul(z, tf.sub(hh, nn)))];
  }

  recurrentMatrix(): tf.Tensor2D {
    return tf.clone(this.recurrent) as tf.Tensor2D;
  }
}

/**
 * The gated recurrent unit (Cho et al. 2014), in the form r = σ(·), z = σ(·),
 * n = tanh(x U_n + b_n + r⊙(h W_n + c_n)), h_t = (1 − z)⊙n + z⊙h_{t−1}; the update gate z carries
 * the state (and the gradient) when near 1.
 *
 * Taps `h.init`, `h.<t>`; parameters `layers.<l>.input.kernel` ([in, 3H], gate order r, z, n),
 * `layers.<l>.bias`, `layers.<l>.recurrent.kernel` ([H, 3H]), `layers.<l>.recurrent.bias`, `readout.*`.
 *
 * @param options - See {@link GRUOptions}.
 * @returns The model; input [batch, time, inputSize].
 * @throws InvalidArgumentError (from `@gflow/core`) for sizes of 0, unknown initializers, or a chrono
 *   horizon ≤ 2, before any tensor is allocated.
 * @example
 * ```ts
 * const net = gru({ inputSize: 2, hiddenSize: 32, outputSize: 1 });
 * ```
 * @see Cho et al. 2014, "Learning Phrase Representations using RNN Encoder–Decoder".
 */
export function gru(options: GRUOptions): RecurrentModel {
  const fn = 'gru';
  const r = resolveRecurrent(fn, options);
  const recurrentInit = options.recurrentInit ?? 'orthogonal';
  validateInit(recurrentInit, fn, 'options.recurrentInit');
  const chrono =
    options.chrono === undefined ? undefined : checkNumber(fn, 'options.chrono', options.chrono, 2.000001);
  return new RecurrentStack(
    fn,
    r,
    (_l, inSize, prefix) =>
      new GRUCell(prefix, inSize, r.hiddenSize, options.init ?? 'xavier', recurrentInit, chrono, r.seed),
  );
}
