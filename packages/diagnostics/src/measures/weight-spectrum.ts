import { describeValue, InvalidArgumentError, singularValues, spectralRadius } from '@gflow/core';
import type { Parameter } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';

/** σ₁ and ρ of one weight matrix. */
export interface WeightSpectrum {
  /** The parameter. */
  readonly name: string;
  /** σ₁ = ‖W‖₂, the largest singular value (bounds how much one step can stretch a gradient). */
  readonly sigma1: number;
  /**
   * ρ(W) = max |λ_i|, the spectral radius (square matrices only; `null` otherwise): the rate at
   * which a linear recurrence h_t = W h_{t−1} grows or decays over many steps (ρ ≤ σ₁).
   */
  readonly spectralRadius: number | null;
}

/** The largest matrix {@link weightSpectrum} takes (its SVD is O(n³) on the host). */
export const MAX_SPECTRUM_SIZE = 2048;

function matrixOf(fn: string, p: { readonly name: string; readonly variable: tf.Tensor }): number[][] {
  const v = p.variable;
  if (v.rank !== 2)
    throw new InvalidArgumentError(
      `${fn}: parameter "${p.name}" has shape [${v.shape.join(', ')}]; σ₁ and ρ need a matrix (rank 2).`,
    );
  const [r, c] = v.shape as [number, number];
  if (Math.max(r, c) > MAX_SPECTRUM_SIZE)
    throw new InvalidArgumentError(
      `${fn}: parameter "${p.name}" is ${r}×${c}, larger than ${MAX_SPECTRUM_SIZE} on a side (a host SVD is O(n³)).`,
    );
  return v.arraySync() as number[][];
}

/**
 * σ₁ and the spectral radius of a weight matrix, in float64 on the host (core's SVD and
 * eigenvalues). For a recurrent matrix W_hh, ρ > 1 lets gradients grow through time and ρ < 1
 * makes them vanish (for the linearized recurrence); σ₁ bounds the growth of one step.
 *
 * Note the orientation: gflow's kernels are [in, out] (h W), so ρ(W) is the same for W and Wᵀ and
 * σ₁ too.
 *
 * @param param - A rank-2 parameter.
 * @returns σ₁ and ρ (ρ `null` for a non-square matrix).
 * @throws InvalidArgumentError for a non-matrix or one larger than {@link MAX_SPECTRUM_SIZE}.
 *
 * @example
 * ```ts
 * const whh = rnn.parameters().find((p) => p.role === 'recurrent')!;
 * weightSpectrum(whh); // { name, sigma1, spectralRadius }
 * ```
 * @see Pascanu, Mikolov & Bengio 2013, "On the difficulty of training recurrent neural networks".
 */
export function weightSpectrum(param: Parameter): WeightSpectrum {
  const fn = 'weightSpectrum';
  if (param === null || typeof param !== 'object' || !(param.variable instanceof tf.Variable))
    throw new InvalidArgumentError(
      `${fn}: param must be a Parameter { name, variable, role }, got ${describeValue(param)}.`,
    );
  return matrixSpectrum(fn, param.name, param.variable);
}

/**
 * σ₁ and ρ of a rank-2 tensor (read back once), for {@link weightSpectrum} and the monitor.
 *
 * @internal
 */
export function matrixSpectrum(fn: string, name: string, t: tf.Tensor): WeightSpectrum {
  if (t.isDisposed) throw new InvalidArgumentError(`${fn}: parameter "${name}" is disposed.`);
  const m = matrixOf(fn, { name, variable: t });
  const s = singularValues(m);
  const square = m.length === (m[0]?.length ?? 0);
  return { name, sigma1: s[0] ?? 0, spectralRadius: square ? spectralRadius(m) : null };
}

/** Options of {@link SpectrumTracker}. */
export interface SpectrumTrackerOptions {
  /** Record every this many steps (default 1). */
  readonly every?: number;
}

/** One recorded step of a {@link SpectrumTracker}. */
export interface SpectrumRecord {
  /** The step (1-based, as the caller numbers it). */
  readonly step: number;
  /** One spectrum per tracked parameter. */
  readonly spectra: readonly WeightSpectrum[];
}

/**
 * Tracks σ₁ and ρ of chosen weights (typically W_hh) during training: call `record(step)` after
 * each step (or use {@link SpectrumTracker.callback} with `model.fit`). Cost per recorded step:
 * one read-back and one host SVD + eigenvalue solve per matrix (O(n³); about a millisecond for
 * 64×64), so record every few steps for large matrices.
 *
 * @example
 * ```ts
 * const tracker = new SpectrumTracker(rnn.parameters().filter((p) => p.role === 'recurrent'), { every: 10 });
 * for (let step = 1; step <= 500; step++) { trainStep(...); tracker.record(step); }
 * console.log(tracker.history.map((r) => r.spectra[0].spectralRadius));
 * ```
 * @see Pascanu et al. 2013; the singular-value tracking of the RNN design notes.
 */
export class SpectrumTracker {
  private readonly params: readonly Parameter[];
  private readonly every: number;
  private readonly records: SpectrumRecord[] = [];

  /**
   * @param params - The rank-2 parameters to track (checked now).
   * @param options - Recording interval.
   * @throws InvalidArgumentError for an empty list, a non-matrix, or a bad interval.
   */
  constructor(params: readonly Parameter[], options: SpectrumTrackerOptions = {}) {
    const fn = 'SpectrumTracker';
    if (!Array.isArray(params) || params.length === 0)
      throw new InvalidArgumentError(
        `${fn}: params must be a non-empty array of rank-2 Parameters, got ${describeValue(params)}.`,
      );
    for (const p of params) {
      if (!p || !(p.variable instanceof tf.Variable) || p.variable.rank !== 2)
        throw new InvalidArgumentError(
          `${fn}: every parameter must be a rank-2 Parameter, got ${describeValue(p)}.`,
        );
    }
    const every = options?.every ?? 1;
    if (!Number.isInteger(every) || every < 1)
      throw new InvalidArgumentError(
        `${fn}: options.every must be a positive integer, got ${describeValue(every)}.`,
      );
    this.params = [...params];
    this.every = every;
  }

  /**
   * Records the spectra if `step` is a multiple of `every`.
   *
   * @param step - The step just finished (1-based).
   * @returns The record, or undefined when this step is skipped.
   */
  record(step: number): SpectrumRecord | undefined {
    if (!Number.isInteger(step) || step < 1)
      throw new InvalidArgumentError(
        `SpectrumTracker.record: step must be a positive integer (steps count from 1), got ${describeValue(step)}.`,
      );
    if (step % this.every !== 0) return undefined;
    const r = { step, spectra: this.params.map(weightSpectrum) };
    this.records.push(r);
    return r;
  }

  /** Every record so far, oldest first. */
  get history(): readonly SpectrumRecord[] {
    return this.records;
  }

  /**
   * A tfjs callback for `model.fit` that records after every batch (steps counted from 1 across epochs).
   *
   * @returns A `tf.CustomCallback`.
   */
  callback(): tf.CustomCallback {
    let step = 0;
    return new tf.CustomCallback({
      onBatchEnd: async () => {
        step += 1;
        this.record(step);
      },
    });
  }
}
