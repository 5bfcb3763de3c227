import { describeValue, InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import type { NamedTensors } from '../internal/tensors.js';
import { f32 } from '../internal/tensors.js';
import {
  checkAgainstSpec,
  checkInteger,
  checkNonNegative,
  specOf,
  type TensorSpec,
} from '../internal/validate.js';

/** The most power iterations one step may run: every step stays bounded. */
const MAX_ITERATIONS = 1000;

/**
 * What {@link ParameterTransform.update} returns; every tensor is new and the caller's.
 *
 * @typeParam S - The state's type.
 */
export interface ParameterTransformResult<S> {
  /** New values of the parameters (assign them to the variables). */
  readonly params: Record<string, tf.Tensor>;
  /** The next state. */
  readonly state: S;
  /** Scalars on the device describing the step. */
  readonly info: Record<string, tf.Scalar>;
}

/**
 * A parameter transformation with explicit state: maps weights to new weights (a projection or a
 * reparametrisation), in the same pure init/update shape as a gradient transform.
 *
 * `update` never disposes or changes `params`; it consumes `state`; the returned `params` and
 * `info` are new tensors, the caller's.
 *
 * @typeParam S - The state's type.
 */
export interface ParameterTransform<S = unknown> {
  /** The transform's name; its `info` keys start with it. */
  readonly name: string;
  /** The first state for these parameters. */
  init(params: NamedTensors): S;
  /** New values for the parameters, the next state and information scalars. */
  update(params: NamedTensors, state: S): ParameterTransformResult<S>;
  /** Frees the tensors held by `state`. */
  dispose(state: S): void;
}

/** Options of {@link spectralNormalization}. */
export interface SpectralNormalizationOptions {
  /**
   * Power iterations per step, 1 to 1000 (default 1, as in Miyato et al.; the vectors carry over
   * from step to step, so a few suffice; the cap keeps every step bounded).
   */
  readonly iterations?: number;
  /** The spectral norm to normalise to (default 1). */
  readonly target?: number;
  /**
   * `'normalize'` (default) divides by σ always: W ← W·target/σ (Miyato et al.); `'clip'` only
   * when σ > target: W ← W·min(1, target/σ).
   */
  readonly mode?: 'normalize' | 'clip';
  /** Which parameters to normalise (default: every tensor of rank ≥ 2). */
  readonly include?: (name: string, shape: readonly number[]) => boolean;
  /** Seed of the first power-iteration vectors (default 0). */
  readonly seed?: number;
}

/** State of {@link spectralNormalization}: one power-iteration vector per normalised parameter. */
export interface SpectralNormalizationState {
  /** Parameter shapes by name. */
  readonly spec: TensorSpec;
  /** u ∈ ℝ^out (unit norm) per normalised parameter, carried from step to step. */
  readonly u: Readonly<Record<string, tf.Tensor1D>>;
}

/**
 * Spectral normalisation as a parameter transform: estimates σ(W), the largest singular value,
 * by power iteration whose vector u is carried across steps, and returns W·target/σ.
 *
 * A kernel of any rank is viewed as the matrix M = reshape(W, [−1, out]) (dense [in, out] as is;
 * conv HWIO as [h·w·in, out]). One step: v = Mu/‖Mu‖, u = Mᵀv/‖Mᵀv‖, σ = vᵀMu. Because u carries
 * over, one iteration per training step suffices once the weights change slowly.
 *
 * Info: `spectralNormalization.sigma.<name>` per normalised parameter (σ before normalising).
 *
 * @param options - Iterations, target, mode, which parameters, seed.
 * @returns A parameter transform; pass its output to `variable.assign` after each step (or give
 *   it to `instrument`/`trainStep` as `constraint`). Call `dispose(state)` on the last state.
 * @throws InvalidArgumentError (from `@gflow/core`) for bad options; ShapeError when names or shapes
 *   differ from `init`'s.
 * @example
 * ```ts
 * const sn = spectralNormalization({ iterations: 1 });
 * let state = sn.init(weights);
 * const r = sn.update(weights, state);
 * state = r.state;
 * ```
 * @see Miyato, Kataoka, Koyama & Yoshida 2018, "Spectral Normalization for Generative Adversarial
 *   Networks".
 */
export function spectralNormalization(
  options: SpectralNormalizationOptions = {},
): ParameterTransform<SpectralNormalizationState> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(
      `spectralNormalization: options must be an object, got ${describeValue(options)}`,
    );
  }
  const iterations = checkInteger(
    'spectralNormalization',
    'options.iterations',
    options.iterations ?? 1,
    1,
    MAX_ITERATIONS,
  );
  const target = checkNonNegative('spectralNormalization', 'options.target', options.target ?? 1, true);
  const mode = options.mode ?? 'normalize';
  if (mode !== 'normalize' && mode !== 'clip') {
    throw new InvalidArgumentError(
      `spectralNormalization: options.mode must be 'normalize' or 'clip', got ${describeValue(mode)}`,
    );
  }
  const include = options.include ?? ((_n: string, shape: readonly number[]) => shape.length >= 2);
  const seed = options.seed ?? 0;
  return {
    name: 'spectralNormalization',
    init(params) {
      const spec = specOf('spectralNormalization', params);
      const u: Record<string, tf.Tensor1D> = {};
      let k = 0;
      for (const [name, shape] of Object.entries(spec)) {
        if (shape.length < 1 || !include(name, shape)) continue;
        const out = shape[shape.length - 1] as number;
        u[name] = tf.keep(
          tf.tidy(() => {
            const r = tf.randomNormal([out], 0, 1, 'float32', seed + k++);
            return tf.div(r, tf.norm(r)) as tf.Tensor1D;
          }),
        );
      }
      return { spec, u };
    },
    update(params, state) {
      checkAgainstSpec('spectralNormalization', 'params', params, state.spec);
      const outParams: Record<string, tf.Tensor> = {};
      const u: Record<string, tf.Tensor1D> = {};
      const info: Record<string, tf.Scalar> = {};
      for (const [name, w] of Object.entries(params)) {
        const u0 = state.u[name];
        if (!u0) {
          outParams[name] = tf.clone(w);
          continue;
        }
        tf.tidy(() => {
          const out = w.shape[w.rank - 1] as number;
          const m = tf.reshape(f32(w), [-1, out]) as tf.Tensor2D;
          let uu: tf.Tensor2D = tf.reshape(u0, [out, 1]);
          let v: tf.Tensor2D = uu;
          for (let i = 0; i < iterations; i++) {
            v = unit(tf.matMul(m, uu));
            uu = unit(tf.matMul(m, v, true, false));
          }
          const sigma = tf.reshape(tf.matMul(tf.matMul(v, m, true, false), uu), []) as tf.Scalar;
          const factor =
            mode === 'normalize'
              ? tf.div(target, tf.maximum(sigma, SIGMA_FLOOR))
              : tf.div(target, tf.maximum(sigma, target));
          outParams[name] = tf.keep(tf.mul(w, factor));
          u[name] = tf.keep(tf.reshape(uu, [out]) as tf.Tensor1D);
          info[`spectralNormalization.sigma.${name}`] = tf.keep(sigma);
        });
      }
      for (const t of Object.values(state.u)) t.dispose();
      return { params: outParams, state: { spec: state.spec, u }, info };
    },
    dispose(state) {
      for (const t of Object.values(state.u)) if (!t.isDisposed) t.dispose();
    },
  };
}

/**
 * The floor of σ in 'normalize' mode, the smallest normal float32 (2⁻¹²⁶): a weight with σ = 1e-25
 * is normalized like any other; only an all-zero weight meets the floor (and stays zero).
 */
const SIGMA_FLOOR = 2 ** -126;

/**
 * x/‖x‖ without squaring x's own magnitude: x is first divided by max|xᵢ| (exact up to rounding,
 * so the squares summed lie in [0, 1] per element and neither underflow nor overflow in float32,
 * as tf.norm's Σx² does below ~1e-19 or above ~1.8e19), then by the norm of that. The zero
 * vector stays zero; a NaN stays NaN.
 */
function unit(x: tf.Tensor2D): tf.Tensor2D {
  const scaled = tf.div(x, tf.maximum(tf.max(tf.abs(x)), Number.MIN_VALUE));
  return tf.div(scaled, tf.maximum(tf.norm(scaled), 1e-30));
}
