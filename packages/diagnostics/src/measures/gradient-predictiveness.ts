import { describeValue, InvalidArgumentError, NonFiniteError } from '@gflow/core';
import type { Parameter } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';

/** One training step as the predictiveness sees it. */
export interface PredictivenessStep {
  /** ΔL = L(θ_{t+1}) − L(θ_t), measured (best on the same batch). */
  readonly lossChange: number;
  /** gᵀΔθ, the first-order prediction of ΔL from the gradient at θ_t (see {@link linearPrediction}). */
  readonly predictedChange: number;
}

/** The gradient's predictiveness over a run of steps. */
export interface GradientPredictiveness {
  /**
   * R² = 1 − E[(ΔL − gᵀΔθ)²] / Var[ΔL]: 1 when the gradient predicts every step's loss change,
   * 0 when it predicts no better than the mean change, negative when worse (steps too large for
   * the local linear model: curvature or noise dominates). `null` with fewer than 2 steps or when
   * ΔL does not vary.
   */
  readonly r2: number | null;
  /** E[(ΔL − gᵀΔθ)²]. */
  readonly meanSquaredError: number;
  /** Var[ΔL] (population variance over the steps). */
  readonly lossChangeVariance: number;
  /** Steps used. */
  readonly steps: number;
}

/**
 * How well the gradient predicts the loss change of each step,
 *
 *   R² = 1 − E[(ΔL − gᵀΔθ)²] / Var[ΔL],
 *
 * over a run of steps. Healthy training in the locally linear regime has R² near 1; exploding
 * gradients (steps far past the region where the first-order model holds) drive it below 0, and
 * noise-dominated gradients toward 0. Computed in float64.
 *
 * @param steps - Each step's measured ΔL and predicted gᵀΔθ.
 * @returns R², its two terms and the step count.
 * @throws InvalidArgumentError for a non-array or malformed steps; NonFiniteError for NaN or ±∞.
 *
 * @example
 * ```ts
 * // during training: before = snapshot; step; lossAfter = loss on the same batch
 * steps.push({ lossChange: lossAfter - lossBefore, predictedChange: linearPrediction(grads, before, params) });
 * gradientPredictiveness(steps).r2;
 * ```
 * @see Santurkar et al. 2018, "How does batch normalization help optimization?" (gradient predictiveness).
 */
export function gradientPredictiveness(steps: readonly PredictivenessStep[]): GradientPredictiveness {
  const fn = 'gradientPredictiveness';
  if (!Array.isArray(steps))
    throw new InvalidArgumentError(
      `${fn}: steps must be an array of { lossChange, predictedChange }, got ${describeValue(steps)}.`,
    );
  const n = steps.length;
  let mean = 0;
  for (const [i, s] of steps.entries()) {
    if (
      s === null ||
      typeof s !== 'object' ||
      typeof s.lossChange !== 'number' ||
      typeof s.predictedChange !== 'number'
    )
      throw new InvalidArgumentError(
        `${fn}: steps[${i}] must be { lossChange: number, predictedChange: number }, got ${describeValue(s)}.`,
      );
    if (!Number.isFinite(s.lossChange) || !Number.isFinite(s.predictedChange))
      throw new NonFiniteError(
        `${fn}: steps[${i}] has lossChange ${s.lossChange} and predictedChange ${s.predictedChange}; both must be finite (leave diverged steps out).`,
      );
    mean += s.lossChange;
  }
  if (n === 0) return { r2: null, meanSquaredError: 0, lossChangeVariance: 0, steps: 0 };
  mean /= n;
  let mse = 0;
  let v = 0;
  for (const s of steps) {
    mse += (s.lossChange - s.predictedChange) ** 2;
    v += (s.lossChange - mean) ** 2;
  }
  mse /= n;
  v /= n;
  return { r2: n >= 2 && v > 0 ? 1 - mse / v : null, meanSquaredError: mse, lossChangeVariance: v, steps: n };
}

/** A host copy of parameter values (float64), to diff against after a step. */
export type ParameterSnapshot = ReadonlyMap<string, Float64Array>;

/**
 * Copies parameter values to the host in float64 (one read per parameter), for
 * {@link linearPrediction} after the step. Memory: 8 bytes per parameter value.
 *
 * @param params - The parameters.
 * @returns Values by name.
 * @throws InvalidArgumentError for a non-array or a disposed variable.
 *
 * @example
 * ```ts
 * const before = snapshotParameters(model.parameters());
 * ```
 * @see {@link gradientPredictiveness}
 */
export function snapshotParameters(params: readonly Parameter[]): ParameterSnapshot {
  const fn = 'snapshotParameters';
  if (!Array.isArray(params))
    throw new InvalidArgumentError(
      `${fn}: params must be an array of Parameters, got ${describeValue(params)}.`,
    );
  const m = new Map<string, Float64Array>();
  for (const p of params) {
    if (!p || typeof p.name !== 'string' || !(p.variable instanceof tf.Variable) || p.variable.isDisposed)
      throw new InvalidArgumentError(
        `${fn}: every entry must be a Parameter with a live variable, got ${describeValue(p)}.`,
      );
    m.set(p.name, Float64Array.from(p.variable.dataSync()));
  }
  return m;
}

/**
 * gᵀΔθ = Σ_p Σ_i g_{p,i} (θ_{p,i}^after − θ_{p,i}^before) in float64: the loss change a step
 * would make if the loss were linear in θ around θ_before, for {@link gradientPredictiveness}.
 * Parameters without a gradient contribute nothing.
 *
 * @param grads - The gradients at θ_before, by parameter name.
 * @param before - {@link snapshotParameters} taken before the step.
 * @param params - The parameters after the step.
 * @returns gᵀΔθ.
 * @throws InvalidArgumentError when an argument has the wrong type (a disposed tensor included), a
 *   gradient's size differs from its parameter's, or a name is missing from `before`.
 *
 * @example
 * ```ts
 * const predicted = linearPrediction(tape.paramGrads, before, model.parameters());
 * ```
 * @see {@link gradientPredictiveness}
 */
export function linearPrediction(
  grads: Readonly<Record<string, tf.Tensor>>,
  before: ParameterSnapshot,
  params: readonly Parameter[],
): number {
  const fn = 'linearPrediction';
  if (typeof grads !== 'object' || grads === null || Array.isArray(grads)) {
    throw new InvalidArgumentError(
      `${fn}: grads must be a record of tensors by name, got ${describeValue(grads)}`,
    );
  }
  if (!(before instanceof Map)) {
    throw new InvalidArgumentError(
      `${fn}: before must be a snapshot (a Map from snapshotParameters), got ${describeValue(before)}`,
    );
  }
  if (!Array.isArray(params)) {
    throw new InvalidArgumentError(
      `${fn}: params must be an array of Parameter, got ${describeValue(params)}`,
    );
  }
  let sum = 0;
  for (const p of params) {
    if (typeof p !== 'object' || p === null || !(p.variable instanceof tf.Tensor) || p.variable.isDisposed) {
      throw new InvalidArgumentError(
        `${fn}: params must hold { name, variable } with a live variable, got ${describeValue(p)}`,
      );
    }
    const g = grads[p.name];
    if (!g) continue;
    const b = before.get(p.name);
    if (!b)
      throw new InvalidArgumentError(
        `${fn}: before has no snapshot of parameter "${p.name}"; take it with snapshotParameters before the step.`,
      );
    if (!(g instanceof tf.Tensor) || g.isDisposed) {
      throw new InvalidArgumentError(
        `${fn}: grads[${JSON.stringify(p.name)}] must be a live tensor, got ${describeValue(g)}`,
      );
    }
    const gv = g.dataSync();
    const av = p.variable.dataSync();
    if (gv.length !== b.length || av.length !== b.length)
      throw new InvalidArgumentError(
        `${fn}: parameter "${p.name}" has ${av.length} values, its snapshot ${b.length} and its gradient ${gv.length}; they must match.`,
      );
    for (let i = 0; i < gv.length; i++) sum += (gv[i] as number) * ((av[i] as number) - (b[i] as number));
  }
  return sum;
}
