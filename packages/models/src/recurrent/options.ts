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
