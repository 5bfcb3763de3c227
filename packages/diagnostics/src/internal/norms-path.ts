import type * as tf from '@tensorflow/tfjs';
import type { GradientTransform, NamedTensors, TransformResult } from '../transforms/transform.js';

/**
 * The norms of a set of gradients, computed once and shared within a training step, in the
 * scale-safe form gflow reads every norm in: for gradient i a pair (mᵢ, sᵢ) with
 * mᵢ = max(max|gᵢ|, 2⁻¹²⁶) and sᵢ = Σ (gᵢ/mᵢ)², so that ‖gᵢ‖² = mᵢ²·sᵢ. It belongs to whoever
 * made it: a transform reads it and never disposes it.
 */
export interface SquaredNorms {
  /** The gradients' names, in the order of `pairs`: exactly the names of the gradients. */
  readonly names: readonly string[];
  /** The pairs interleaved, [m₀, s₀, m₁, s₁, …], shape [2·names.length] (float32). */
  readonly pairs: tf.Tensor1D;
}

/** A transform's `update`, given the step's shared {@link SquaredNorms} as well. */
export type NormsUpdate<S> = (
  grads: NamedTensors,
  sqNorms: SquaredNorms,
  state: S,
  params?: NamedTensors,
) => TransformResult<S>;

type Update<S> = GradientTransform<S>['update'];

/**
 * The fast paths, keyed by the very `update` function they stand for. A training step looks the
 * path up from the transform's `update` at call time, so a copy that replaces `update`
 * (`{ ...clipByGlobalNorm(10), update }`) finds none and its own `update` runs: the fast path
 * cannot bypass an override. A copy that keeps `update` keeps the path, which computes the same.
 */
const paths = new WeakMap<Update<never>, NormsUpdate<never>>();

/** Registers `path` as the shared-norms form of `update` and returns `update`. */
export function withNormsPath<S>(update: Update<S>, path: NormsUpdate<S>): Update<S> {
  paths.set(update as Update<never>, path as unknown as NormsUpdate<never>);
  return update;
}

/** The shared-norms form of `t.update`, when one was registered for that very function. */
export function normsPathOf<S>(t: GradientTransform<S>): NormsUpdate<S> | undefined {
  return paths.get(t.update as Update<never>) as NormsUpdate<S> | undefined;
}
