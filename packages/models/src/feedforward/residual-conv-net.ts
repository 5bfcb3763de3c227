import { InvalidArgumentError } from '@gflow/core';
import { convNorms, resolveCommon } from '../internal/feedforward-options.js';
import { ResidualStack, type ResidualVariant } from '../internal/residual-core.js';
import {
  checkBoolean,
  checkInt,
  checkNumber,
  checkOneOf,
  checkOptions,
  checkParameterCount,
  checkShape,
} from '../internal/validate.js';
import { Conv2dLayer } from '../layers/conv2d.js';
import { DenseLayer } from '../layers/dense.js';
import type { Model } from '../model.js';
import type { ConvNetOptions } from './options.js';

/** Options of {@link residualConvNet}. */
export interface ResidualConvNetOptions extends ConvNetOptions {
  /** Block form (default `'pre-activation'`). */
  readonly variant?: 'post-activation' | 'pre-activation';
  /** Scale s of the residual branch, x + s·F(x) (default 1). */
  readonly branchScale?: number;
  /**
   * Whether a 3×3 convolution (with its normalization and activation in the post-activation
   * form) first maps the input to `channels` (default true). Without it the input enters the
   * first block as it is, so `inputChannels` must equal `channels`: the stack is then blocks
   * alone, as in the analyses of deep residual stacks (e.g. Yang et al. 2019).
   */
  readonly stem?: boolean;
}

/**
 * A residual convolutional stack (constant channels, stride 1): a 3×3 stem to `channels` (unless
 * `stem: false`), then
 * blocks `pre-activation` h + s·K₂⋆φ(N(K₁⋆φ(N(h)))) (He et al. 2016b) or `post-activation`
 * φ(h + s·N(K₂⋆φ(N(K₁⋆h)))) (He et al. 2016a), and an optional global-average-pool readout.
 *
 * Taps `blocks.<i>`; parameters `stem.*` (with a stem), `blocks.<i>.conv1|conv2.*`, `blocks.<i>.norm1|norm2.*`,
 * `final.norm.*`, `readout.*`.
 *
 * @param options - See {@link ResidualConvNetOptions}.
 * @returns The model; input NHWC [batch, h, w, inputChannels].
 * @throws InvalidArgumentError (from `@gflow/core`) for a depth or channel count of 0, unknown
 *   names, or `stem: false` with `inputChannels` ≠ `channels`, before any tensor is allocated;
 *   ShapeError from `apply` on a mismatched input.
 * @example
 * ```ts
 * const net = residualConvNet({ depth: 100, channels: 4, inputChannels: 1, variant: 'pre-activation', norm: 'batch' });
 * ```
 * @see He et al. 2016b, "Identity Mappings in Deep Residual Networks".
 */
export function residualConvNet(options: ResidualConvNetOptions): Model {
  checkOptions('residualConvNet', options);
  const fn = 'residualConvNet';
  const c = resolveCommon(fn, options, { activation: 'relu', init: 'he' }, convNorms);
  const channels = checkInt(fn, 'options.channels', options.channels);
  const inputChannels = checkInt(fn, 'options.inputChannels', options.inputChannels);
  const kernelSize = checkInt(fn, 'options.kernelSize', options.kernelSize ?? 3);
  // a stem and two convolutions per block, then the readout
  checkParameterCount(
    fn,
    (2 * c.depth + 1) * kernelSize * kernelSize * Math.max(channels, inputChannels) * channels +
      (channels + 1) * (c.outputSize ?? 0),
  );
  const bias = checkBoolean(fn, 'options.bias', options.bias ?? true);
  const variant: ResidualVariant = checkOneOf(fn, 'options.variant', options.variant ?? 'pre-activation', [
    'post-activation',
    'pre-activation',
  ] as const);
  const branchScale = checkNumber(fn, 'options.branchScale', options.branchScale ?? 1);
  const stem = checkBoolean(fn, 'options.stem', options.stem ?? true);
  if (!stem && inputChannels !== channels) {
    throw new InvalidArgumentError(
      `${fn}: options.inputChannels must equal options.channels (${channels}) when options.stem is false, got ${inputChannels}`,
    );
  }
  return new ResidualStack(
    fn,
    c,
    channels,
    inputChannels,
    variant,
    branchScale,
    (i, o, name) =>
      new Conv2dLayer({
        inputChannels: i,
        outputChannels: o,
        kernelSize,
        init: c.init,
        seed: c.seed,
        bias,
        name,
      }),
    (i, o) => new DenseLayer({ inputSize: i, outputSize: o, init: 'xavier', seed: c.seed, name: 'readout' }),
    true,
    (x) => checkShape(`${fn}.apply`, 'x', x, [null, null, null, inputChannels]),
    stem,
  );
}
