import { type ActivationSpec, type ResolvedActivation, resolveActivation } from '../activations.js';
import { type InitSpec, validateInit } from '../initializers.js';
import { type NormKind, normKinds } from './norm.js';
import { checkInt, checkNumber, checkOneOf } from './validate.js';

/** The norm kinds of the convolutional families (weight norm is implemented for dense layers only). */
export const convNorms: readonly NormKind[] = ['none', 'batch', 'layer', 'group'];

/** Validated common options of the feedforward families. */
export interface CommonResolved {
  readonly depth: number;
  readonly activation: ResolvedActivation;
  readonly init: InitSpec;
  readonly norm: NormKind;
  readonly seed: number;
  readonly outputSize: number | undefined;
}

/** Validates the options every feedforward builder shares, before any tensor exists; `norms` lists the norm kinds the family offers. */
export function resolveCommon(
  fn: string,
  o: {
    readonly depth: number;
    readonly activation?: ActivationSpec;
    readonly init?: InitSpec;
    readonly norm?: NormKind;
    readonly seed?: number;
    readonly outputSize?: number;
  },
  defaults: { readonly activation: ActivationSpec; readonly init: InitSpec },
  norms: readonly NormKind[] = normKinds,
): CommonResolved {
  const depth = checkInt(fn, 'options.depth', o.depth);
  const activation = resolveActivation(o.activation ?? defaults.activation, fn, 'options.activation');
  const init = o.init ?? defaults.init;
  validateInit(init, fn, 'options.init');
  const norm = checkOneOf(fn, 'options.norm', o.norm ?? 'none', norms);
  const seed = checkNumber(fn, 'options.seed', o.seed ?? 0);
  const outputSize =
    o.outputSize === undefined ? undefined : checkInt(fn, 'options.outputSize', o.outputSize);
  return { depth, activation, init, norm, seed, outputSize };
}
