import type * as tf from '@tensorflow/tfjs';
import type { ActivationSpec } from '../activations.js';
import type { InitSpec } from '../initializers.js';
import type { Model } from '../model.js';

/** Options shared by the recurrent families; inputs are [batch, time, inputSize]. */
export interface RecurrentOptions {
  /** Input features per step. */
  readonly inputSize: number;
  /** Hidden state size per layer. */
  readonly hiddenSize: number;
  /** Stacked recurrent layers (default 1); taps become `layers.<l>.h.<t>` when > 1. */
  readonly layers?: number;
  /** Output features of a linear readout (none when omitted: the output is the hidden state). */
  readonly outputSize?: number;
  /** Output every step, [batch, time, ·] (true), or only the last, [batch, ·] (false, the default). */
  readonly returnSequences?: boolean;
  /** Input-kernel initializer (default `'xavier'`). */
  readonly init?: InitSpec;
  /** Seed; same seed ⇒ identical weights (default 0). */
  readonly seed?: number;
  /**
   * Recurrent dropout rate p in [0, 1) (Gal and Ghahramani 2016; default 0): in training mode
   * h_{t−1} enters the recurrent matrix as (m ⊙ h_{t−1})·W with m_i ∈ {0, 1/(1 − p)} drawn once per
   * sequence (per example and unit) and used at every step; the state that is carried, emitted and
   * tapped is not masked (for GRU, highway and residual cells the carried h_{t−1} stays whole). The
   * gradient through time is multiplied by the same diag(m) at every step, so a dropped unit cuts
   * its recurrent path for the whole sequence. Identity in inference mode.
   *
   * @example
   * ```ts
   * const net = gru({ inputSize: 8, hiddenSize: 32, recurrentDropout: 0.25, maskSeed: 1 });
   * ```
   * @see Gal and Ghahramani 2016, "A Theoretically Grounded Application of Dropout in Recurrent
   *   Neural Networks".
   */
  readonly recurrentDropout?: number;
  /**
   * Zoneout probability p in [0, 1] (Krueger et al. 2017; default 0): in training mode each unit
   * keeps its previous value with probability p, h_t = d_t ⊙ h_{t−1} + (1 − d_t) ⊙ h̃_t with h̃_t
   * the cell's update and d_t ~ Bernoulli(p) drawn afresh every step (LSTM zones c too, see
   * `zoneoutCell`); in inference mode the expectation h_t = p·h_{t−1} + (1 − p)·h̃_t. A zoned unit
   * passes its gradient to h_{t−1} through an identity, so zoneout shortens the multiplicative
   * chain that makes gradients vanish. p = 0 is the plain model; p = 1 keeps h_0.
   *
   * @example
   * ```ts
   * const net = vanillaRNN({ inputSize: 2, hiddenSize: 64, zoneout: 0.1 });
   * const yTrain = net.apply(x, { training: true, tap: (_n, t) => t }); // random zoning
   * const yEval = net.apply(x); // h_t = 0.1·h_{t−1} + 0.9·h̃_t
   * ```
   * @see Krueger et al. 2017, "Zoneout: Regularizing RNNs by Randomly Preserving Hidden Activations".
   */
  readonly zoneout?: number;
  /**
   * Temporal dropout rate p in [0, 1) (default 0): in training mode h_t ← d_t ⊙ h_t with
   * d_t ∈ {0, 1/(1 − p)} drawn afresh every step, applied to the state that is carried to the next
   * step, emitted and tapped (for LSTM h only, not c): the per-step dropout of the hidden state
   * that Gal and Ghahramani 2016 contrast with their per-sequence mask. Identity in inference mode.
   *
   * @example
   * ```ts
   * const net = lstm({ inputSize: 4, hiddenSize: 16, temporalDropout: 0.1 });
   * ```
   * @see Gal and Ghahramani 2016 (the "naive" dropout with a new mask at every step, which they compare with theirs).
   */
  readonly temporalDropout?: number;
  /**
   * Seed of the regularizers' masks (default `seed`): training-mode call k draws its masks from
   * this seed, k and the layer, so runs are reproducible and successive steps get new masks.
   */
  readonly maskSeed?: number;
}

/** Options of the families with an elementwise activation and a plain recurrent matrix. */
export interface SimpleRecurrentOptions extends RecurrentOptions {
  /** Activation φ (default `'tanh'`). */
  readonly activation?: ActivationSpec;
  /** Recurrent-matrix initializer (default `'orthogonal'`; `{ name: 'identity' }` with relu gives the IRNN). */
  readonly recurrentInit?: InitSpec;
}

/** A recurrent model: the hidden size, and its recurrent matrix for inspection. */
export interface RecurrentModel extends Model {
  /** Hidden state size per layer (for the unitary RNN: 2·complex units, [re | im]). */
  readonly hiddenSize: number;
  /** Number of stacked layers. */
  readonly layers: number;
  /**
   * The recurrent matrix of a layer as a tensor (the caller's to dispose): W with h_t = φ(h_{t−1}·W + …)
   * for the simple families, the stacked gate kernels [H, g·H] for LSTM/GRU, and the real 2N×2N
   * form of the unitary matrix for the unitary RNN.
   */
  recurrentMatrix(layer?: number): tf.Tensor2D;
}
