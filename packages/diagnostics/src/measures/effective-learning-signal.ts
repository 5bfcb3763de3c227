import { describeValue, InvalidArgumentError } from '@gflow/core';
import type { Context, Model, Parameter } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { gradientTape } from '../gradient-tape.js';
import { type LossSpec, resolveLoss } from '../internal/loss.js';
import { hostScaledPair, pairSquared } from '../internal/norms.js';

/** Options of {@link effectiveLearningSignal}. */
export interface EffectiveLearningSignalOptions {
  /** The batch's inputs. */
  readonly inputs: tf.Tensor;
  /** The batch's targets. */
  readonly targets: tf.Tensor;
  /** The loss (default `'meanSquaredError'`). */
  readonly loss?: LossSpec;
  /** Which parameters (default: those with role `'recurrent'`, i.e. W_hh). */
  readonly params?: readonly Parameter[];
  /** Which taps are the steps h_t (default: names ending in `h.<number>`), in the model's order. */
  readonly isStep?: (tapName: string) => boolean;
}

/** The learning signal that reaches the parameters through one step. */
export interface LagSignal {
  /** The step's tap (`h.<t>`). */
  readonly tap: string;
  /** τ = T − t, the lag from the last step. */
  readonly lag: number;
  /** ‖ELS_τ‖ per parameter, by name (float64 on the host). */
  readonly norms: Readonly<Record<string, number>>;
  /** ‖ELS_τ‖ over all chosen parameters together. */
  readonly norm: number;
  /** norm / Σ_τ norm: the share of the learning signal this lag carries. */
  readonly share: number;
}

/** What {@link effectiveLearningSignal} returns. */
export interface EffectiveLearningSignal {
  /** The loss on the batch. */
  readonly loss: number;
  /** One entry per step, lag 0 (the last step) first. */
  readonly lags: readonly LagSignal[];
  /**
   * ‖Σ_τ ELS_τ − ∂L/∂θ‖ / ‖∂L/∂θ‖ over the chosen parameters: 0 (to rounding) when they act only
   * inside the steps, as W_hh does; larger when they also act outside (a readout), or when the
   * model carries state the taps do not see (an LSTM's cell state).
   */
  readonly closure: number;
}

const defaultIsStep = (name: string): boolean => /(^|\.)h\.\d+$/.test(name);

/** A tap that passes the value forward and no gradient backward. */
const blockGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: (args[0] as tf.Tensor).clone(),
  gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.zerosLike(dy as tf.Tensor),
})) as (x: tf.Tensor) => tf.Tensor;

/** ‖t‖² in float64 on the host (the contributions can lie far below float32's squared range). */
function hostNormSquared(t: tf.Tensor): number {
  return pairSquared(...hostScaledPair(t.dataSync()));
}

/**
 * The effective learning signal per lag, ELS_τ = E[∂L/∂h_{T−τ} · ∂h_{T−τ}/∂θ]: the part of the
 * gradient of θ (by default W_hh) that enters through step T−τ, with ∂h_{T−τ}/∂θ the step's own
 * (immediate) dependence on θ, the earlier state held fixed. Summed over τ it is the whole
 * gradient of a parameter used only inside the steps (the `closure` field checks this). Where
 * ‖∂L/∂h_t‖ says how much signal reaches step t, ELS_τ says how much of it the weights learn
 * from: with vanishing gradients the shares of large lags go to 0 and the model learns only
 * short-range dependence.
 *
 * Computed exactly: one backward pass for ∂L/∂h_t, then, for each step t, the gradient of
 * ⟨∂L/∂h_t, h_t⟩ with every tap passing no gradient back (so h_{t−1} is held fixed). Cost: T + 1
 * forward and backward passes; use it on demand. State the model does not tap (an LSTM's cell
 * state) is not held fixed, so for an LSTM each lag also includes what reaches θ through the
 * cell state from earlier steps; `closure` then exceeds 0.
 *
 * @param model - A recurrent gflow model with a tap per step.
 * @param options - Batch, loss, parameters, which taps are steps.
 * @returns Per lag, ‖ELS_τ‖ per parameter and its share; the loss; the closure check.
 * @throws InvalidArgumentError when the model has no step taps, no chosen parameters, or bad options.
 *
 * @example
 * ```ts
 * const els = effectiveLearningSignal(rnn, { inputs: x, targets: y });
 * for (const l of els.lags) console.log(l.lag, l.share);
 * ```
 * @see Bengio, Simard & Frasconi 1994; Pascanu, Mikolov & Bengio 2013 (the sum over time of the
 *   gradient's temporal components).
 */
export function effectiveLearningSignal(
  model: Model,
  options: EffectiveLearningSignalOptions,
): EffectiveLearningSignal {
  const fn = 'effectiveLearningSignal';
  if (model === null || typeof model !== 'object' || typeof (model as Model).apply !== 'function')
    throw new InvalidArgumentError(`${fn}: model must be a gflow Model, got ${describeValue(model)}.`);
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError(
      `${fn}: options must be an object { inputs, targets, … }, got ${describeValue(options)}.`,
    );
  const lossFn = resolveLoss(fn, options.loss ?? 'meanSquaredError');
  const isStep = options.isStep ?? defaultIsStep;
  const params = options.params ?? model.parameters().filter((p) => p.role === 'recurrent');
  if (params.length === 0)
    throw new InvalidArgumentError(
      `${fn}: no parameters to measure (the model has none with role 'recurrent'); pass options.params.`,
    );

  // 1. ∂L/∂h_t at every step, and the whole gradient of the chosen parameters.
  const tape = gradientTape(
    (ctx) =>
      tf.tidy(() => {
        const y = model.apply(options.inputs, ctx);
        return lossFn(options.targets, y);
      }),
    { params: model.parameters(), taps: 'tensors' },
  );
  try {
    const steps = tape.tapStats.map((s) => s.name).filter((n) => isStep(n) && tape.tapGrads[n] !== undefined);
    if (steps.length === 0)
      throw new InvalidArgumentError(
        `${fn}: the model has no step taps that received a gradient (tap names ending in h.<t>); pass options.isStep to name them.`,
      );
    // 2. One pass per step: ∇_θ ⟨δ_t, h_t⟩ with every tap blocking the gradient.
    const contributions: number[][] = [];
    const sums: tf.Tensor[] = params.map((p) => tf.zerosLike(p.variable));
    try {
      for (const step of steps)
        contributions.push(
          stepContribution(fn, model, options.inputs, step, tape.tapGrads[step] as tf.Tensor, params, sums),
        );
      const closure = closureOf(params, sums, tape.paramGrads);
      const norms = contributions.map((c) => Math.sqrt(c.reduce((a, b) => a + b, 0)));
      const sumNorms = norms.reduce((a, b) => a + b, 0);
      const last = steps.length - 1;
      const lags = steps
        .map((tap, t) => ({
          tap,
          lag: last - t,
          norms: Object.fromEntries(
            params.map((p, i) => [p.name, Math.sqrt((contributions[t] as number[])[i] as number)]),
          ),
          norm: norms[t] as number,
          share: sumNorms > 0 ? (norms[t] as number) / sumNorms : 0,
        }))
        .reverse();
      return { loss: tape.lossValue, lags, closure };
    } finally {
      for (const s of sums) s.dispose();
    }
  } finally {
    tape.dispose();
  }
}

/**
 * ∇_θ ⟨δ_t, h_t⟩ for one step with every tap passing no gradient back (h_{t−1} held fixed): adds
 * each parameter's contribution into `sums` and returns its squared norm per parameter.
 */
function stepContribution(
  fn: string,
  model: Model,
  inputs: tf.Tensor,
  step: string,
  delta: tf.Tensor,
  params: readonly Parameter[],
  sums: tf.Tensor[],
): number[] {
  let picked: tf.Tensor | undefined;
  const { grads, value } = tf.variableGrads(
    () => {
      const ctx: Context = {
        training: false,
        tap: (name, t) => {
          // Kept past the model's own tidy scopes (a clone on the tape, so the gradient flows).
          if (name === step) picked = tf.keep(t.clone());
          return blockGradient(t);
        },
      };
      const out = model.apply(inputs, ctx);
      out.dispose();
      if (!picked) throw new InvalidArgumentError(`${fn}: the second pass did not reach the tap "${step}".`);
      return tf.sum(tf.mul(delta, picked)) as tf.Scalar;
    },
    params.map((p) => p.variable),
  );
  value.dispose();
  (picked as tf.Tensor | undefined)?.dispose();
  const out = params.map((p, i) => {
    const g = grads[p.variable.name];
    if (!g) return 0;
    const next = tf.add(sums[i] as tf.Tensor, g);
    (sums[i] as tf.Tensor).dispose();
    sums[i] = next;
    return hostNormSquared(g);
  });
  for (const g of Object.values(grads)) g.dispose();
  return out;
}

/** ‖Σ_t contributions − ∂L/∂θ‖ / ‖∂L/∂θ‖ over the parameters (0 when the gradient is zero). */
function closureOf(
  params: readonly Parameter[],
  sums: readonly tf.Tensor[],
  whole: Readonly<Record<string, tf.Tensor>>,
): number {
  let diff2 = 0;
  let total2 = 0;
  for (const [i, p] of params.entries()) {
    const w = whole[p.name];
    if (!w) continue;
    const d = tf.sub(sums[i] as tf.Tensor, w);
    diff2 += hostNormSquared(d);
    d.dispose();
    total2 += hostNormSquared(w);
  }
  return total2 > 0 ? Math.sqrt(diff2 / total2) : 0;
}
