import { describeValue, InvalidArgumentError } from '@gflow/core';
import type { Module, ParameterRole } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { type Finding, fmt } from './finding.js';
import type { ActivationStats } from './gradient-tape.js';
import { type HealthThresholds, type ResolvedThresholds, resolveThresholds } from './health.js';
import { type LossSpec, resolveLoss } from './internal/loss.js';
import { pairSquared } from './internal/norms.js';
import { parameterSquaredNorms } from './internal/parameter-norms.js';
import { runTape } from './internal/tap-recorder.js';
import { BatchedRead } from './internal/tensors.js';
import { checkNonNegative } from './internal/validate.js';

/**
 * The version of the {@link FlowReport} layout; bumped on any incompatible change.
 *
 * - 2: norms are scale-safe (exact from the smallest subnormal to the largest float32 element,
 *   never 0 unless every element is 0, never ∞ for a finite gradient); `gradNorm` has three
 *   states (a number, `0` only for an all-zero gradient, `null` for no gradient, with
 *   {@link FlowTap.noGradient} saying why); non-finite elements give `Infinity`/`NaN`, never
 *   `null` (see {@link flowReportToJSON} for how they are written as JSON).
 * - 1: the first layout.
 *
 * @example
 * ```ts
 * if (report.schemaVersion !== flowReportSchemaVersion) throw new Error('report from another gflow');
 * ```
 */
export const flowReportSchemaVersion = 2;

/** Why a tap's {@link FlowTap.gradNorm} is `null`: the one case the tape cannot see. */
export const NO_GRADIENT_REASON =
  'no gradient reached this tap: the loss does not depend on the tapped value through any path ' +
  'that leads to a parameter (the tape records only such paths), so ∂L/∂h was never formed';

/** One tap point of a {@link FlowReport}. */
export interface FlowTap {
  /** The tap's name (`blocks.3`, `h.17`, `layers.dense_1`). */
  readonly name: string;
  /** Shape of the tapped activation. */
  readonly shape: readonly number[];
  /**
   * ‖∂L/∂h‖ (Frobenius norm, float64, scale-safe: 1e-40 and 1e+30 are measured as such), in three
   * states: a number; exactly `0` only when every element of ∂L/∂h is zero; `null` when no gradient
   * reached the tap ({@link FlowTap.noGradient} says why). A gradient with an infinite element is
   * `Infinity`, one with a NaN is `NaN`: a non-finite finding in the diagnosis, never `null`.
   */
  readonly gradNorm: number | null;
  /** Present exactly when `gradNorm` is `null`: why no gradient was measured here. */
  readonly noGradient?: string;
  /** gradNorm divided by the last tap's gradNorm (the last tap with a gradient is 1). */
  readonly ratioToLast: number | null;
  /** Statistics of the activation itself. */
  readonly activation: ActivationStats;
}

/** One parameter of a {@link FlowReport}. */
export interface FlowParameter {
  /** The parameter's dotted name. */
  readonly name: string;
  /** What it is for. */
  readonly role: ParameterRole;
  /** Its shape. */
  readonly shape: readonly number[];
  /**
   * ‖∂L/∂θ‖ (float64, scale-safe), `0` only for an all-zero gradient, or `null` when the loss does
   * not depend on it (disconnected); `Infinity`/`NaN` for non-finite elements.
   */
  readonly gradNorm: number | null;
  /** ‖θ‖. */
  readonly weightNorm: number;
  /** ‖∂L/∂θ‖/‖θ‖, or `null`. */
  readonly ratio: number | null;
  /** η·‖∂L/∂θ‖/‖θ‖: the update ratio a plain SGD step with the report's learning rate would make. */
  readonly updateRatio: number | null;
}

/** The one record of a gradient-flow measurement: plain data, JSON-ready. */
export interface FlowReport {
  /** {@link flowReportSchemaVersion} at the time of writing. */
  readonly schemaVersion: number;
  /** The module's name. */
  readonly model: string;
  /** The loss on the batch. */
  readonly loss: number;
  /** The learning rate used for update ratios. */
  readonly learningRate: number;
  /** Every tap point, in forward order. */
  readonly taps: readonly FlowTap[];
  /** Every parameter, in the module's order. */
  readonly parameters: readonly FlowParameter[];
  /** ‖g‖ over every parameter. */
  readonly globalNorm: number;
  /** What is wrong, with evidence and remedies (empty when healthy). */
  readonly diagnosis: readonly Finding[];
}

/** Options of {@link measureGradientFlow}. */
export interface MeasureGradientFlowOptions {
  /** A batch of inputs. */
  readonly inputs: tf.Tensor;
  /** The matching targets. */
  readonly targets: tf.Tensor;
  /** The loss, by name or as a function (targets, outputs) → scalar (default 'meanSquaredError'). */
  readonly loss?: LossSpec;
  /** Learning rate for the update ratios (default 1e-3). */
  readonly learningRate?: number;
  /** Run the module in training mode (default true: batch statistics as in training). */
  readonly training?: boolean;
  /** Thresholds of the diagnosis (see `checkHealth`'s defaults). */
  readonly thresholds?: HealthThresholds;
}

/**
 * Measures how the gradient flows through a module on one batch: per tap, the gradient norm and
 * its ratio to the last tap, and activation statistics; per parameter, gradient and weight norms,
 * their ratio and the update ratio; the global norm; and a diagnosis whose findings carry
 * severity, evidence and a remedy.
 *
 * One forward and backward pass; every number comes back in one batched read.
 *
 * @param module - Any `Module` from `@gflow/models` (or `fromLayersModel(model)`).
 * @param options - Batch, loss, learning rate, training flag, thresholds.
 * @returns The report (plain data).
 * @throws InvalidArgumentError (from `@gflow/core`) for a missing batch, an unknown loss or a bad
 *   learning rate or threshold; ShapeError when a named loss's targets do not have the shape of the
 *   model's outputs.
 * @example
 * ```ts
 * const report = measureGradientFlow(plainMLP({ depth: 20, width: 64, inputSize: 16, activation: 'tanh' }),
 *   { inputs: x, targets: y, loss: 'meanSquaredError' });
 * for (const f of report.diagnosis) console.log(f.message, '→', f.remedy);
 * ```
 * @see Glorot & Bengio 2010, "Understanding the difficulty of training deep feedforward neural
 *   networks"; He et al. 2016, "Deep Residual Learning for Image Recognition".
 */
export function measureGradientFlow(module: Module, options: MeasureGradientFlowOptions): FlowReport {
  const fn = 'measureGradientFlow';
  if (module == null || typeof module.apply !== 'function' || typeof module.parameters !== 'function') {
    throw new InvalidArgumentError(
      `${fn}: module must be a Module (apply, parameters), got ${describeValue(module)}`,
    );
  }
  if (!(options?.inputs instanceof tf.Tensor) || !(options.targets instanceof tf.Tensor)) {
    throw new InvalidArgumentError(
      `${fn}: options.inputs and options.targets must be tensors, got ${describeValue(options?.inputs)} and ${describeValue(options?.targets)}`,
    );
  }
  for (const key of ['inputs', 'targets'] as const) {
    if (options[key].isDisposed) {
      throw new InvalidArgumentError(
        `${fn}: options.${key} was disposed (shape [${options[key].shape.join(', ')}]); pass a live tensor`,
      );
    }
  }
  const lossFn = resolveLoss(fn, options.loss ?? 'meanSquaredError');
  const lr = checkNonNegative(fn, 'options.learningRate', options.learningRate ?? 1e-3, true);
  const t = resolveThresholds(fn, options.thresholds);
  const params = module.parameters();
  const raw = runTape(
    fn,
    (ctx) => lossFn(options.targets, module.apply(options.inputs, ctx)),
    params,
    'norms',
    true,
    options.training ?? true,
  );
  const reader = new BatchedRead();
  const lossAt = reader.add(raw.loss);
  const tapAt = raw.taps.map((r) => (r.gradPair ? reader.add(r.gradPair) : -1));
  const actAt = raw.taps.map((r) => (r.activation ? reader.add(r.activation) : -1));
  const parameterNorms = parameterSquaredNorms(params, raw.grads, reader);
  tf.dispose(Object.values(raw.grads));
  const v = reader.read();
  const norms = parameterNorms(v);

  let normSq = 0;
  const parameters: FlowParameter[] = params.map((p, i) => {
    const connected = raw.grads[p.name] !== undefined;
    const gSq = norms[2 * i] as number;
    const weightNorm = Math.sqrt(norms[2 * i + 1] as number);
    const gradNorm = connected ? Math.sqrt(gSq) : null;
    if (gradNorm !== null) normSq += gSq;
    const ratio = gradNorm !== null && weightNorm > 0 ? gradNorm / weightNorm : null;
    return {
      name: p.name,
      role: p.role,
      shape: p.variable.shape.slice(),
      gradNorm,
      weightNorm,
      ratio,
      updateRatio: ratio === null ? null : lr * ratio,
    };
  });
  const tapNorms = raw.taps.map((_, i) => {
    const at = tapAt[i] as number;
    return at >= 0 ? Math.sqrt(pairSquared(v[at] as number, v[at + 1] as number)) : null;
  });
  let lastNorm: number | null = null;
  for (let i = tapNorms.length - 1; i >= 0 && lastNorm === null; i--) lastNorm = tapNorms[i] ?? null;
  const taps: FlowTap[] = raw.taps.map((r, i) => {
    const a = actAt[i] as number;
    const g = tapNorms[i] ?? null;
    return {
      name: r.name,
      shape: r.shape,
      gradNorm: g,
      ratioToLast: g === null || lastNorm === null || lastNorm === 0 ? null : g / lastNorm,
      ...(g === null ? { noGradient: NO_GRADIENT_REASON } : {}),
      activation: {
        mean: v[a] as number,
        std: v[a + 1] as number,
        min: v[a + 2] as number,
        max: v[a + 3] as number,
        zeroFraction: v[a + 4] as number,
        deadUnitFraction: v[a + 5] as number,
      },
    };
  });
  const report = {
    schemaVersion: flowReportSchemaVersion,
    model: module.name,
    loss: v[lossAt] as number,
    learningRate: lr,
    taps,
    parameters,
    globalNorm: Math.sqrt(normSq),
  };
  return { ...report, diagnosis: diagnoseFlow(report, t) };
}

/** The diagnosis of a flow report: findings with evidence and remedies, errors first. */
function diagnoseFlow(r: Omit<FlowReport, 'diagnosis'>, t: ResolvedThresholds): Finding[] {
  const out: Finding[] = [];
  const badGrads = r.parameters.filter((p) => p.gradNorm !== null && !Number.isFinite(p.gradNorm));
  const badWeights = r.parameters.filter((p) => !Number.isFinite(p.weightNorm));
  // A tap whose ∂L/∂h has an infinite or NaN element: non-finite, not "no gradient" (null).
  const badTaps = r.taps.filter((x) => x.gradNorm !== null && !Number.isFinite(x.gradNorm));
  if (!Number.isFinite(r.loss) || badGrads.length > 0 || badWeights.length > 0 || badTaps.length > 0) {
    out.push({
      kind: 'non-finite',
      severity: 'error',
      message: `non-finite: loss ${fmt(r.loss)}, ${badGrads.length} parameters with non-finite gradients, ${badWeights.length} with non-finite weights, ${badTaps.length} taps with non-finite gradients${badTaps[0] ? ` (first: ${badTaps[0].name})` : ''}`,
      evidence: {
        loss: r.loss,
        gradients: badGrads.length,
        weights: badWeights.length,
        taps: badTaps.length,
      },
      remedy: 'check the inputs for NaN, lower the learning rate, and clip gradients',
    });
  }
  const withGrad = r.taps.filter((x) => x.gradNorm !== null && Number.isFinite(x.gradNorm));
  if (withGrad.length >= 2) {
    const first = withGrad[0] as FlowTap;
    const last = withGrad[withGrad.length - 1] as FlowTap;
    const ratio = (first.gradNorm as number) / (last.gradNorm as number);
    const evidence = {
      firstNorm: first.gradNorm as number,
      lastNorm: last.gradNorm as number,
      ratio,
      threshold: t.flowRatio,
    };
    if (ratio < t.flowRatio) {
      out.push({
        kind: 'vanishing',
        severity: 'error',
        subject: first.name,
        message: `vanishing: the first block's gradient (${first.name}) is ${fmt(ratio)} of the last block's (${last.name}) (threshold ${fmt(t.flowRatio)})`,
        evidence,
        remedy:
          'use residual connections or He initialization (orthogonal for tanh), or add normalization layers',
      });
    } else if (ratio > 1 / t.flowRatio) {
      out.push({
        kind: 'exploding',
        severity: 'error',
        subject: first.name,
        message: `exploding: the first block's gradient (${first.name}) is ${fmt(ratio)} times the last block's (${last.name}) (threshold ${fmt(1 / t.flowRatio)})`,
        evidence,
        remedy:
          'lower the initialization gain, add normalization layers, or clip gradients (clipByGlobalNorm)',
      });
    }
  }
  if (Number.isFinite(r.globalNorm) && r.globalNorm < t.vanishing) {
    out.push({
      kind: 'vanishing',
      severity: 'error',
      message: `vanishing: the global gradient norm is ${fmt(r.globalNorm)} (threshold ${fmt(t.vanishing)})`,
      evidence: { globalNorm: r.globalNorm, threshold: t.vanishing },
      remedy: 'check for saturated activations and use He/orthogonal initialization or residual connections',
    });
  } else if (r.globalNorm > t.exploding) {
    out.push({
      kind: 'exploding',
      severity: 'error',
      message: `exploding: the global gradient norm is ${fmt(r.globalNorm)} (threshold ${fmt(t.exploding)})`,
      evidence: { globalNorm: r.globalNorm, threshold: t.exploding },
      remedy: 'clip gradients (clipByGlobalNorm), lower the learning rate or the initialization gain',
    });
  }
  for (const tap of r.taps) {
    if (tap.activation.deadUnitFraction > t.deadUnitFraction) {
      out.push({
        kind: 'dead-units',
        severity: 'warning',
        subject: tap.name,
        message: `dead units: ${fmt(100 * tap.activation.deadUnitFraction)}% of the units at ${tap.name} are zero for the whole batch (threshold ${fmt(100 * t.deadUnitFraction)}%)`,
        evidence: {
          deadUnitFraction: tap.activation.deadUnitFraction,
          zeroFraction: tap.activation.zeroFraction,
          threshold: t.deadUnitFraction,
        },
        remedy:
          'use leaky ReLU, ELU or GELU, He initialization with a small positive bias, or a lower learning rate',
      });
    }
  }
  // A parameter the loss reaches but whose gradient is exactly 0 is not disconnected: its gradient
  // vanished (float32 underflow through a deep stack, or saturated/dead units upstream). One finding
  // names them all; a deep sigmoid net would otherwise print one line per parameter.
  const zero = r.parameters.filter((p) => p.gradNorm === 0);
  if (zero.length > 0) {
    const names = zero.map((p) => p.name);
    const span = names.length === 1 ? names[0] : `${names[0]} … ${names[names.length - 1]}`;
    out.push({
      kind: 'vanishing',
      severity: 'error',
      subject: names[0] as string,
      message: `vanishing: ${zero.length} of ${r.parameters.length} parameters (${span}) get an exactly zero gradient although the loss depends on them (float32 underflow below ~1e-38, or saturated or dead units upstream)`,
      evidence: { zeroGradientParameters: zero.length, parameters: r.parameters.length },
      remedy:
        'use residual connections, He/orthogonal initialization or normalization layers; check for saturated sigmoids/tanh and dead ReLUs',
    });
  }
  for (const p of r.parameters) {
    if (p.gradNorm === 0) continue;
    if (p.gradNorm === null) {
      out.push({
        kind: 'disconnected',
        severity: 'warning',
        subject: p.name,
        message: `disconnected: ${p.name} gets no gradient from this loss`,
        evidence: { gradNorm: 0, connected: 0 },
        remedy:
          'check that the parameter is used in the forward pass and that nothing cuts its path to the loss',
      });
      continue;
    }
    const [lo, hi] = t.updateRatioBand;
    if (
      p.updateRatio !== null &&
      Number.isFinite(p.updateRatio) &&
      (p.updateRatio < lo || p.updateRatio > hi)
    ) {
      out.push({
        kind: 'update-ratio',
        severity: 'info',
        subject: p.name,
        message: `update ratio: an SGD step of ${fmt(r.learningRate)} would change ${p.name} by ${fmt(p.updateRatio)} of its norm, outside [${fmt(lo)}, ${fmt(hi)}]`,
        evidence: { updateRatio: p.updateRatio, learningRate: r.learningRate, low: lo, high: hi },
        remedy:
          p.updateRatio < lo
            ? 'this parameter learns slowly: raise its learning rate or fix vanishing gradients'
            : 'this parameter would jump: lower the learning rate or clip',
      });
    }
  }
  const order = { error: 0, warning: 1, info: 2 } as const;
  return out.sort((a, b) => order[a.severity] - order[b.severity]);
}
