import * as tf from '@tensorflow/tfjs';
import type { InitSpec } from '../initializers.js';
import { KernelCell } from '../internal/projected-cell.js';
import { resolveChrono, resolveRecurrentInit } from '../internal/recurrent-options.js';
import { deriveSeed, Rng } from '../internal/rng.js';
import { checkNumber, checkOptions } from '../internal/validate.js';
import type { RecurrentModel, RecurrentOptions } from './options.js';
import { type FusedCell, RecurrentStack, resolveRecurrent } from './rnn-core.js';

/** Options of {@link lstm}. */
export interface LSTMOptions extends RecurrentOptions {
  /** Recurrent-kernel initializer, per gate block (default `'orthogonal'`). */
  readonly recurrentInit?: InitSpec;
  /** Initial forget-gate bias (default 1; Jozefowicz et al. 2015). Ignored when `chrono` is set. */
  readonly forgetBias?: number;
  /**
   * Chrono initialization (Tallec and Ollivier 2018) for dependencies up to `chrono` steps:
   * b_f ~ log(U(1, T_max − 1)), b_i = −b_f.
   */
  readonly chrono?: number;
  /**
   * Zoneout probability of the cell state c, in [0, 1] (default: `zoneout`). Krueger et al. 2017
   * zone c and h separately and found a high rate on c with a low one on h to work best
   * (c_t = d^c ⊙ c_{t−1} + (1 − d^c) ⊙ c̃_t, likewise h with d^h); see {@link RecurrentOptions.zoneout}.
   */
  readonly zoneoutCell?: number;
}

/** Chrono gate biases log(U(1, tMax − 1)). @internal */
export function chronoValues(n: number, tMax: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.log(1 + rng.uniform() * (tMax - 2));
  return out;
}

/** Initial b in gate order [i, f, g, o]: b_f = forgetBias, or chrono b_f with b_i = −b_f. */
function lstmBias(H: number, forgetBias: number, chrono: number | undefined, seed: number): Float32Array {
  const b = new Float32Array(4 * H);
  if (chrono !== undefined) {
    const bf = chronoValues(H, chrono, seed);
    for (let j = 0; j < H; j++) {
      b[H + j] = bf[j] as number;
      b[j] = -(bf[j] as number);
    }
  } else {
    b.fill(forgetBias, H, 2 * H);
  }
  return b;
}

class LSTMCell extends KernelCell {
  override readonly stateCount = 2;

  constructor(
    prefix: string,
    inputSize: number,
    hiddenSize: number,
    init: InitSpec,
    recurrentInit: InitSpec,
    forgetBias: number,
    chrono: number | undefined,
    seed: number,
  ) {
    const bias = lstmBias(hiddenSize, forgetBias, chrono, deriveSeed(seed, `${prefix}.bias`));
    super(prefix, inputSize, hiddenSize, 4, init, recurrentInit, seed, bias);
  }

  override fusedKernel(): FusedCell {
    return { kind: 'lstm', w: this.recurrent as tf.Tensor2D };
  }

  step(u: tf.Tensor2D, [h, c]: tf.Tensor2D[], _p: unknown, hIn?: tf.Tensor2D): tf.Tensor2D[] {
    const z = tf.add(u, tf.matMul(hIn ?? (h as tf.Tensor2D), this.recurrent as tf.Tensor2D));
    const [zi, zf, zg, zo] = tf.split(z, 4, 1) as tf.Tensor2D[];
    const c2 = tf.add(
      tf.mul(tf.sigmoid(zf as tf.Tensor2D), c as tf.Tensor2D),
      tf.mul(tf.sigmoid(zi as tf.Tensor2D), tf.tanh(zg as tf.Tensor2D)),
    );
    const h2 = tf.mul(tf.sigmoid(zo as tf.Tensor2D), tf.tanh(c2));
    return [h2 as tf.Tensor2D, c2 as tf.Tensor2D];
  }
}

/**
 * Long short-term memory (Hochreiter and Schmidhuber 1997, with forget gate of Gers et al. 2000):
 * i, f, o = σ(·), g = tanh(·), c_t = f⊙c_{t−1} + i⊙g, h_t = o⊙tanh(c_t). The cell path's Jacobian is
 * diag(f), so a forget gate near 1 carries the gradient across time; the forget bias (default 1) or
 * chrono initialization sets that horizon.
 *
 * Taps `h.init`, `h.<t>` (`layers.<l>.h.<t>` when stacked); parameters `layers.<l>.input.kernel`
 * ([in, 4H], gate order i, f, g, o), `layers.<l>.bias`, `layers.<l>.recurrent.kernel` ([H, 4H]),
 * `readout.*`.
 *
 * On the wasm engine (`@gflow/backend`'s fused kernels) each layer runs as one op over the whole
 * sequence, forward and backward, with the same taps, unless a recurrent regularizer is on or the
 * listener needs each step (see the package README, "Decisions").
 *
 * @param options - See {@link LSTMOptions}.
 * @returns The model; input [batch, time, inputSize].
 * @throws InvalidArgumentError (from `@gflow/core`) for sizes of 0, unknown initializers, or a chrono
 *   horizon ≤ 2, before any tensor is allocated.
 * @example
 * ```ts
 * const net = lstm({ inputSize: 10, hiddenSize: 64, chrono: 200, outputSize: 10, returnSequences: true });
 * ```
 * @see Hochreiter and Schmidhuber 1997; Tallec and Ollivier 2018, "Can recurrent neural networks warp time?".
 */
export function lstm(options: LSTMOptions): RecurrentModel {
  checkOptions('lstm', options);
  const fn = 'lstm';
  const r = resolveRecurrent(fn, options, options.zoneoutCell);
  const recurrentInit = resolveRecurrentInit(fn, options);
  const forgetBias = checkNumber(fn, 'options.forgetBias', options.forgetBias ?? 1);
  const chrono = resolveChrono(fn, options.chrono);
  return new RecurrentStack(
    fn,
    r,
    (_l, inSize, prefix) =>
      new LSTMCell(
        prefix,
        inSize,
        r.hiddenSize,
        options.init ?? 'xavier',
        recurrentInit,
        forgetBias,
        chrono,
        r.seed,
      ),
  );
}
