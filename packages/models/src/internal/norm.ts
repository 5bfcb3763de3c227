import { BatchNormLayer } from '../layers/batch-norm.js';
import { DenseLayer, type DenseOptions } from '../layers/dense.js';
import { GroupNormLayer } from '../layers/group-norm.js';
import { LayerNormLayer } from '../layers/layer-norm.js';
import { WeightNormDenseLayer } from '../layers/weight-norm.js';
import type { BaseModule } from './base-module.js';

/**
 * The normalization choices of the feedforward families. `'weight'` is not a layer after the
 * linear map but a reparametrization of it ({@link makeDense}); the convolutional families do not
 * offer it.
 */
export type NormKind = 'none' | 'batch' | 'layer' | 'group' | 'weight';

/** Every norm kind, in the order error messages list them. */
export const normKinds: readonly NormKind[] = ['none', 'batch', 'layer', 'group', 'weight'];

/**
 * Groups of `norm: 'group'`: the largest divisor of `size` that leaves at least 16 channels per
 * group (one group, a layer norm over the channels and positions, below 32 channels). Wu and He
 * 2018 (their group-division ablation) find a fixed 16 channels per group close to G = 32; a fixed G would normalize
 * groups of one or two features in a narrow fully connected layer, where x̂ is 0 or ±1.
 */
export function defaultGroups(size: number): number {
  for (let g = Math.max(1, Math.floor(size / 16)); g > 1; g--) if (size % g === 0) return g;
  return 1;
}

/** Builds a norm layer or nothing (`'none'` and `'weight'`). */
export function makeNorm(kind: NormKind, size: number, name: string): BaseModule | undefined {
  if (kind === 'batch') return new BatchNormLayer({ size, name });
  if (kind === 'layer') return new LayerNormLayer({ size, name });
  if (kind === 'group') return new GroupNormLayer({ size, groups: defaultGroups(size), name });
  return undefined;
}

/** A dense layer, weight-normalized (parameters `.v`, `.g`, `.bias`) when `kind` is `'weight'`. */
export function makeDense(kind: NormKind, o: DenseOptions): BaseModule {
  if (kind !== 'weight') return new DenseLayer(o);
  return new WeightNormDenseLayer({
    inputSize: o.inputSize,
    outputSize: o.outputSize,
    ...(o.init === undefined ? {} : { init: o.init }),
    ...(o.bias === undefined ? {} : { bias: o.bias }),
    ...(o.biasInit === undefined ? {} : { biasInit: o.biasInit }),
    ...(o.seed === undefined ? {} : { seed: o.seed }),
    ...(o.name === undefined ? {} : { name: o.name }),
  });
}
