import { describeValue, InvalidArgumentError } from '@gflow/core';
import type * as tf from '@tensorflow/tfjs';
import { caGradWeights } from '../internal/surgery-weights.js';
import { combineTasks, taskGram } from '../internal/task-gram.js';
import type { NamedTensors } from '../internal/tensors.js';

/** Options of {@link caGrad}. */
export interface CaGradOptions {
  /**
   * c ≥ 0, the radius of the ball around the mean gradient g_0 in which the update is sought,
   * in units of ‖g_0‖ (default 0.5, the paper's usual value). c = 0 gives g_0 (plain averaging);
   * larger c favours the worst-off task more (toward MGDA's min-norm direction as c → ∞).
   */
  readonly c?: number;
  /**
   * Divide the update by 1 + c² as the authors' code does by default (default false: the
   * update is the paper's d = g_0 + (c‖g_0‖/‖g_w‖)·g_w).
   */
  readonly rescale?: boolean;
  /**
   * Tolerance of the dual solver for three or more tasks: it stops when its Frank–Wolfe gap, an
   * upper bound on how far the dual objective is above its minimum, is ≤ tol·max_i‖g_i‖²
   * (default 1e-10). Two tasks are solved exactly.
   */
  readonly tol?: number;
  /** Iteration limit of the dual solver (default 10,000). */
  readonly maxIterations?: number;
}

/**
 * CAGrad, conflict-averse gradient descent for multi-task learning: the update d that maximizes
 * the worst task's improvement min_i ⟨g_i, d⟩ within a ball of radius c‖g_0‖ around the mean
 * gradient g_0 = (1/K) Σ_i g_i.
 *
 * max_d min_i ⟨g_i, d⟩ s.t. ‖d − g_0‖ ≤ c‖g_0‖ is solved through its dual over the task weights
 * w on the simplex: w* = argmin_w F(w) = ⟨g_w, g_0⟩ + c‖g_0‖·‖g_w‖ with g_w = Σ_i w_i g_i, and
 * d = g_0 + (c‖g_0‖/‖g_w*‖)·g_w* (divided by 1 + c² with `rescale`). By strong duality
 * min_i ⟨g_i, d⟩ = F(w*).
 *
 * Everything is in terms of the K×K Gram matrix of the task gradients (inner products over every
 * parameter together), computed once on the device with scaling against float32 overflow and
 * underflow, read back in one transfer, and solved in float64: exactly for two tasks (a closed
 * form on the segment, see the README), by projected gradient descent to the stated tolerance for
 * more. Closed cases with two tasks and c = 0.5: aligned equal gradients g give (1 + c)·g;
 * orthogonal ones of equal norm give (1 + c)·g_0; g_1 = (1, 0), g_2 = (−1, 1) give d = (0.25, 0.5),
 * which improves both tasks equally (⟨g_1, d⟩ = ⟨g_2, d⟩ = 0.25) where g_0 = (0, 0.5) left g_1
 * unimproved. When g_w* = 0 the correction vanishes and d = g_0.
 *
 * @param taskGrads - One gradient record per task (K ≥ 1), all over the same parameter names and
 *   shapes, float32. Not disposed.
 * @param options - `c` (0.5), `rescale` (false), `tol` (1e-10), `maxIterations` (10,000).
 * @returns The update direction per parameter name (new tensors, the caller's to dispose).
 * @throws InvalidArgumentError (from `@gflow/core`) when taskGrads is empty or not records of
 *   float32 tensors, or an option is invalid; ShapeError when the records differ in names or
 *   shapes; NonFiniteError when a task's gradient holds NaN or ±Infinity; ConvergenceError when
 *   the dual solver (three or more tasks) does not reach `tol` within `maxIterations`.
 * @example
 * ```ts
 * const vars = model.parameters().map((p) => p.variable);
 * const perTask = [lossA, lossB, lossC].map((f) => tf.variableGrads(f, vars).grads);
 * const d = caGrad(perTask, { c: 0.5 });
 * optimizer.applyGradients(d);
 * for (const r of perTask) tf.dispose(Object.values(r));
 * tf.dispose(Object.values(d));
 * ```
 * @see Liu, Liu, Jin, Stone & Liu 2021, "Conflict-Averse Gradient Descent for Multi-task
 *   Learning" (NeurIPS), Eq. (3)–(5) and Algorithm 1.
 */
export function caGrad(
  taskGrads: readonly NamedTensors[],
  options: CaGradOptions = {},
): Record<string, tf.Tensor> {
  const fn = 'caGrad';
  if (options == null || typeof options !== 'object') {
    throw new InvalidArgumentError(`${fn}: options must be an object, got ${describeValue(options)}`);
  }
  const c = options.c ?? 0.5;
  if (typeof c !== 'number' || !Number.isFinite(c) || c < 0) {
    throw new InvalidArgumentError(`${fn}: options.c must be a finite number ≥ 0, got ${describeValue(c)}`);
  }
  const rescale = options.rescale ?? false;
  if (typeof rescale !== 'boolean') {
    throw new InvalidArgumentError(`${fn}: options.rescale must be a boolean, got ${describeValue(rescale)}`);
  }
  const tol = options.tol ?? 1e-10;
  if (typeof tol !== 'number' || !Number.isFinite(tol) || tol <= 0) {
    throw new InvalidArgumentError(
      `${fn}: options.tol must be a finite number > 0, got ${describeValue(tol)}`,
    );
  }
  const maxIterations = options.maxIterations ?? 10_000;
  if (typeof maxIterations !== 'number' || !Number.isInteger(maxIterations) || maxIterations < 1) {
    throw new InvalidArgumentError(
      `${fn}: options.maxIterations must be an integer ≥ 1, got ${describeValue(maxIterations)}`,
    );
  }
  const { names, k, gram } = taskGram(fn, taskGrads);
  const { coef } = caGradWeights(fn, gram, k, c, tol, maxIterations);
  if (rescale) for (let i = 0; i < k; i++) coef[i] = (coef[i] as number) / (1 + c * c);
  return combineTasks(taskGrads, names, coef);
}
