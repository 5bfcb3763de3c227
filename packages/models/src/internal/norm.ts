import { BatchNormLayer } from '../layers/batch-norm.js';
import { LayerNormLayer } from '../layers/layer-norm.js';
import type { BaseModule } from './base-module.js';

/** The normalization choices of the feedforward families. */
export type NormKind = 'none' | 'batch' | 'layer';

/** Builds a norm layer or nothing. */
export function makeNorm(kind: NormKind, size: number, name: string): BaseModule | undefined {
  if (kind === 'batch') return new BatchNormLayer({ size, name });
  if (kind === 'layer') return new LayerNormLayer({ size, name });
  return undefined;
}
