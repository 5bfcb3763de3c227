import * as tf from '@tensorflow/tfjs';
import type { InitSpec } from '../initializers.js';
import { KernelCell } from '../internal/projected-cell.js';
import { resolveChrono, resolveRecurrentInit } from '../internal/recurrent-options.js';
import { deriveSeed } from '../internal/rng.js';
import { checkOptions } from '../internal/validate.js';
import { chronoValues } from './lstm.js';
import type { RecurrentModel, RecurrentOptions } from './options.js';
import { type FusedCell, RecurrentStack, resolveRecurrent } from './rnn-core.js';

/** Options of {@link gru}. */
export interface GRUOptions extends RecurrentOptions {
  /** Recurrent-kernel initializer, per gate block (default `'orthogonal'`). */
  readonly recurrentInit?: InitSpec;
  /** Chrono initialization of the update gate for dependencies up to `chrono` steps: b_z ~ log(U(1, T_max − 1)). */
  readonly chrono?: number;
}

/** Initial b in gate order [r, z, n]: zeros, or chrono values for the update gate z. */
function gruBias(H: number, chrono: number | undefined, seed: number): Float32Array {
  const b = new Float32Array(3 * H);
  if (chrono !== undefined) b.set(chronoValues(H, chrono, seed), H);
  return b;
}

class GRUCell extends KernelCell {
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
    const bias = gruBias(hiddenSize, chrono, deriveSeed(seed, `${prefix}.bias`));
    super(prefix, inputSize, hiddenSize, 3, init, recurrentInit, seed, bias);
    this.recurrentBias = this.addParam(
      `${prefix}.recurrent.bias`,
      new Float32Array(3 * hiddenSize),
      [3 * hiddenSize],
      'bias',
    ).variable;
  }

  override fusedKernel(): FusedCell {
    return { kind: 'gru', w: this.recurrent as tf.Tensor2D, b: this.recurrentBias as tf.Tensor1D };
  }

  step(u: tf.Tensor2D, [h]: tf.Tensor2D[], _p: unknown, hIn?: tf.Tensor2D): tf.Tensor2D[] {
    const hh = h as tf.Tensor2D;
    const w = tf.add(tf.matMul(hIn ?? hh, this.recurrent as tf.Tensor2D), this.recurrentBias);
    const [ur, uz, un] = tf.split(u, 3, 1) as tf.Tensor2D[];
    const [wr, wz, wn] = tf.split(w, 3, 1) as tf.Tensor2D[];
    const r = tf.sigmoid(tf.add(ur as tf.Tensor2D, wr as tf.Tensor2D));
    const z = tf.sigmoid(tf.add(uz as tf.Tensor2D, wz as tf.Tensor2D));
    const nn = tf.tanh(tf.add(un as tf.Tensor2D, tf.mul(r, wn as tf.Tensor2D)));
    // h' = (1 − z)⊙n + z⊙h = n + z⊙(h − n)
    return [tf.add(nn, tf.mul(z, tf.sub(hh, nn)))];
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
 * On the wasm engine (`@gflow/backend`'s fused kernels) each layer runs as one op over the whole
 * sequence, forward and backward, with the same taps, unless a recurrent regularizer is on or the
 * listener needs each step (see the package README, "Decisions").
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
  checkOptions('gru', options);
  const fn = 'gru';
  const r = resolveRecurrent(fn, options);
  const recurrentInit = resolveRecurrentInit(fn, options);
  const chrono = resolveChrono(fn, options.chrono);
  return new RecurrentStack(
    fn,
    r,
    (_l, inSize, prefix) =>
      new GRUCell(prefix, inSize, r.hiddenSize, options.init ?? 'xavier', recurrentInit, chrono, r.seed),
  );
}
