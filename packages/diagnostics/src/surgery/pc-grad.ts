import { describeValue, InvalidArgumentError } from '@gflow/core';
import type * as tf from '@tensorflow/tfjs';
import { pcGradWeights } from '../internal/surgery-weights.js';
import { combineTasks, taskGram } from '../internal/task-gram.js';
import type { NamedTensors } from '../internal/tensors.js';

/** Options of {@link pcGrad}. */
export interface PcGradOptions {
  /**
   * Seed of the random order in which each task's gradient is projected against the others
   * (default 0). The same seed gives the same orders; pass a new one per step (the step number)
   * to draw new orders each step as the paper does. With two tasks the order does not matter.
   */
  readonly seed?: number;
  /** Combine the projected gradients by their sum (the paper, default) or their mean. */
  readonly reduction?: 'sum' | 'mean';
}

/**
 * PCGrad, "projecting conflicting gradients": gradient surgery for multi-task learning. Each
 * task's gradient is projected onto the normal plane of every other task's gradient it
 * conflicts with (negative inner product), in a random order, and the results are summed:
 *
 * g_i^PC ← g_i; for j ≠ i in random order: if ⟨g_i^PC, g_j⟩ < 0, g_i^PC ← g_i^PC − ⟨g_i^PC, g_j⟩/‖g_j‖² · g_j;
 * update g = Σ_i g_i^PC.
 *
 * Inner products are over every parameter together (the task gradients as one vector each).
 * With two tasks: orthogonal or aligned gradients pass unchanged (g = g_1 + g_2); conflicting ones
 * each lose their component along the other. The K×K inner products are computed once on the
 * device, scaled so that float32 neither overflows nor underflows, read back in one transfer, and
 * the procedure runs on them in float64; the result is one weighted sum Σ w_k g_k per parameter.
 *
 * @param taskGrads - One gradient record per task (K ≥ 1), all over the same parameter names and
 *   shapes, float32 (e.g. from `tf.variableGrads` of each task's loss). Not disposed.
 * @param options - `seed` (0) of the random task orders, `reduction` ('sum').
 * @returns The combined gradient per parameter name (new tensors, the caller's to dispose).
 * @throws InvalidArgumentError (from `@gflow/core`) when taskGrads is empty or not records of
 *   float32 tensors, or an option is invalid; ShapeError when the records differ in names or
 *   shapes; NonFiniteError when a task's gradient holds NaN or ±Infinity.
 * @example
 * ```ts
 * const vars = model.parameters().map((p) => p.variable);
 * const perTask = [lossA, lossB].map((f) => tf.variableGrads(f, vars).grads);
 * const g = pcGrad(perTask, { seed: step });
 * optimizer.applyGradients(g);
 * for (const r of perTask) tf.dispose(Object.values(r));
 * tf.dispose(Object.values(g));
 * ```
 * @see Yu et al. 2020, "Gradient Surgery for Multi-Task Learning" (NeurIPS), Algorithm 1.
 */
export function pcGrad(
  taskGrads: readonly NamedTensors[],
  options: PcGradOptions = {},
): Record<string, tf.Tensor> {
  const fn = 'pcGrad';
  if (options == null || typeof options !== 'object') {
    throw new InvalidArgumentError(`${fn}: options must be an object, got ${describeValue(options)}`);
  }
  const seed = options.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isInteger(seed)) {
    throw new InvalidArgumentError(`${fn}: options.seed must be an integer, got ${describeValue(seed)}`);
  }
  const reduction = options.reduction ?? 'sum';
  if (reduction !== 'sum' && reduction !== 'mean') {
    throw new InvalidArgumentError(
      `${fn}: options.reduction must be 'sum' or 'mean', got ${describeValue(reduction)}`,
    );
  }
  const { names, k, gram } = taskGram(fn, taskGrads);
  return combineTasks(taskGrads, names, pcGradWeights(gram, k, seed, reduction));
}
