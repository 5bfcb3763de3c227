import type { ActivationSpec } from '../activations.js';
import type { InitSpec } from '../initializers.js';

/** Options shared by the fully connected families ({@link plainMLP}, {@link residualMLP}, …). */
export interface MLPOptions {
  /** Number of blocks (≥ 1). */
  readonly depth: number;
  /** Hidden width of every block. */
  readonly width: number;
  /** Input features (the last axis of x, shape [batch, inputSize]). */
  readonly inputSize: number;
  /** Output features of a final linear readout; none when omitted (the output is the last block's). */
  readonly outputSize?: number;
  /** Activation (default `'relu'`). */
  readonly activation?: ActivationSpec;
  /** Kernel initializer (default `'he'`). */
  readonly init?: InitSpec;
  /**
   * Normalization in every block (default `'none'`): batch, layer or group norm (16 channels per
   * group, see {@link groupNorm}) after each block's dense layer, or `'weight'`, which
   * reparametrizes the blocks' dense layers (and the stem) as w = g·v/‖v‖ ({@link weightNorm}).
   */
  readonly norm?: 'none' | 'batch' | 'layer' | 'group' | 'weight';
  /** Seed; same seed ⇒ identical weights (default 0). */
  readonly seed?: number;
  /** Whether dense layers have biases (default true). */
  readonly bias?: boolean;
}

/** Options shared by the convolutional families ({@link plainConvNet}, {@link residualConvNet}). */
export interface ConvNetOptions {
  /** Number of blocks (≥ 1). */
  readonly depth: number;
  /** Channels of every block. */
  readonly channels: number;
  /** Channels of the NHWC input [batch, height, width, inputChannels]. */
  readonly inputChannels: number;
  /** Square kernel size (default 3). */
  readonly kernelSize?: number;
  /** Classes of a global-average-pool + linear readout; none when omitted (the output is the last feature map). */
  readonly outputSize?: number;
  /** Activation (default `'relu'`). */
  readonly activation?: ActivationSpec;
  /** Kernel initializer (default `'he'`). */
  readonly init?: InitSpec;
  /**
   * Normalization in every block (default `'none'`): batch, layer (over the channels) or group
   * norm (16 channels per group, see {@link groupNorm}).
   */
  readonly norm?: 'none' | 'batch' | 'layer' | 'group';
  /**
   * Whether each convolution adds a bias (default true). With `norm: 'batch'` a bias is redundant
   * (the normalization subtracts the per-channel mean, bias included), and ResNets leave it out.
   */
  readonly bias?: boolean;
  /** Seed; same seed ⇒ identical weights (default 0). */
  readonly seed?: number;
}
