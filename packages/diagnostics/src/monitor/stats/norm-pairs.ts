import { scaledPairs } from '../../internal/norms.js';
import type { BatchedRead, NamedTensors } from '../../internal/tensors.js';
import { addToRead, type Pair, pairAt, type Slot } from '../slots.js';

/**
 * Monitor statistic: the norms of several named tensors (gradients not scaled otherwise, weights,
 * the weights of disconnected parameters) as scale-safe pairs in one stacked vector.
 *
 * @internal
 */
export function planNormPairs(
  reader: BatchedRead,
  tensors: NamedTensors,
  names: readonly string[],
): Map<string, Slot<Pair>> {
  const out = new Map<string, Slot<Pair>>();
  if (names.length === 0) return out;
  const at = addToRead(reader, scaledPairs(tensors, names));
  names.forEach((name, i) => {
    out.set(
      name,
      pairAt(() => at() + 2 * i),
    );
  });
  return out;
}
