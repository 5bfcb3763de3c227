import { resolveCommon } from '../internal/feedforward-options.js';
import { makeDense } from '../internal/norm.js';
import { ResidualStack, type ResidualVariant } from '../internal/residual-core.js';
import {
  checkInt,
  checkNumber,
  checkOneOf,
  checkOptions,
  checkParameterCount,
  checkShape,
} from '../internal/validate.js';
import { DenseLayer } from '../layers/dense.js';
import type { Model } from '../model.js';
import type { MLPOptions } from './options.js';

/** Options of {@link residualMLP}. */
export interface ResidualMLPOptions extends MLPOptions {
  /** Block form (default `'pre-activation'`). */
  readonly variant?: 'post-activation' | 'pre-activation';
  /** Scale s of the residual branch, x + s·F(x) (default 1; e.g. 1/√depth or 0 for a "fixup"/"ReZero" start). */
  readonly branchScale?: number;
}

/**
 * A residual fully connected stack: a linear stem to `width`, then blocks
 * `pre-activation`: h + s·W₂φ(N(W₁φ(N(h)))) (He et al. 2016b), or
 * `post-activation`: φ(h + s·N(W₂φ(N(W₁h)))) (He et al. 2016a). The identity path carries the
 * gradient unattenuated: ∂h_{l+1}/∂h_l = I + s·∂F/∂h_l.
 *
 * Taps `blocks.<i>`; parameters `stem.*`, `blocks.<i>.dense1|dense2.*`, `blocks.<i>.norm1|norm2.*`,
 * `final.norm.*` (pre-activation), `readout.*`.
 *
 * @param options - See {@link ResidualMLPOptions}.
 * @returns The model; input [batch, inputSize].
 * @throws InvalidArgumentError (from `@gflow/core`) for a depth or width of 0, unknown names, or a
 *   non-finite branch scale, before any tensor is allocated.
 * @example
 * ```ts
 * const net = residualMLP({ depth: 50, width: 32, inputSize: 8, variant: 'pre-activation', branchScale: 0.1 });
 * ```
 * @see He et al. 2016a, "Deep Residual Learning"; He et al. 2016b, "Identity Mappings in Deep Residual Networks".
 */
export function residualMLP(options: ResidualMLPOptions): Model {
  checkOptions('residualMLP', options);
  const fn = 'residualMLP';
  const c = resolveCommon(fn, options, { activation: 'relu', init: 'he' });
  const width = checkInt(fn, 'options.width', options.width);
  const inputSize = checkInt(fn, 'options.inputSize', options.inputSize);
  // a stem, two dense layers per block, then the readout
  checkParameterCount(
    fn,
    (inputSize + 1) * width + 2 * c.depth * (width + 1) * width + (width + 1) * (c.outputSize ?? 0),
  );
  const variant: ResidualVariant = checkOneOf(fn, 'options.variant', options.variant ?? 'pre-activation', [
    'post-activation',
    'pre-activation',
  ] as const);
  const branchScale = checkNumber(fn, 'options.branchScale', options.branchScale ?? 1);
  const bias = options.bias ?? true;
  return new ResidualStack(
    fn,
    c,
    width,
    inputSize,
    variant,
    branchScale,
    (i, o, name) =>
      makeDense(c.norm, { inputSize: i, outputSize: o, init: c.init, bias, seed: c.seed, name }),
    (i, o) => new DenseLayer({ inputSize: i, outputSize: o, init: 'xavier', seed: c.seed, name: 'readout' }),
    false,
    (x) => checkShape(`${fn}.apply`, 'x', x, [null, inputSize]),
  );
}
