// Everything the playground computes, shared by the page and the Node test (so the test checks
// the page's own code path): the network and data of a configuration, ‖∂L/∂h‖ per block or time
// step, the theory overlaid, training, the top Hessian eigenvalue and the loss line.
import { effectivePathContribution, meanField, pathLengthDistribution } from '@gflow/core';
import {
  clipByGlobalNorm,
  createTrainState,
  disposeTrainState,
  measureGradientFlow,
  measureGradientFlowAsync,
  trainStep,
  trainStepAsync,
} from '@gflow/diagnostics';
import {
  hessianEigenvalues,
  hessianEigenvaluesAsync,
  lossLine,
  lossLineAsync,
  type ParameterVector,
  randomDirection,
  randomDirectionAsync,
} from '@gflow/landscape';
import {
  gru,
  highwayMLP,
  lstm,
  type Model,
  orthogonalRNN,
  plainConvNet,
  plainMLP,
  residualConvNet,
  residualMLP,
  transformerStack,
  vanillaRNN,
} from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { type Family, isRecurrent, type PlaygroundConfig } from './config.js';

/** Input features, output features and batch size of the random regression problem. */
export const INPUT_SIZE = 16;
export const OUTPUT_SIZE = 4;
export const BATCH = 32;
/** Conv families: a batch of 8 images of 8×8 pixels with 3 channels. */
export const CONV_BATCH = 8;
export const IMAGE_SIZE = 8;
export const IMAGE_CHANNELS = 3;
/** Transformer: sequences of 8 tokens. */
export const TOKENS = 8;
/**
 * Recurrent families: inputs are 0.1 × N(0, 1), so a tanh RNN stays near its linear regime, where
 * the per-step factor of the gradient is the spectral radius ρ (the ρ^lag overlay's premise).
 */
export const RECURRENT_INPUT_SCALE = 0.1;
/** Training: Adam at this learning rate, and the global-norm bound when clipping is on. */
export const LEARNING_RATE = 3e-3;
export const CLIP_NORM = 1;
export const ADAM_EPSILON = 1e-7;

/** Deterministic standard-normal draws (a 32-bit LCG through Box–Muller), the same on every engine. */
export function normals(seed: number, n: number, scale = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out;
}

/** What the x-axis of the flow plot counts. */
export type Axis = 'block' | 'time step' | 'sublayer';

/** A network with its data: what the page keeps alive between measurements and training steps. */
export interface Problem {
  readonly config: PlaygroundConfig;
  readonly model: Model;
  readonly inputs: tf.Tensor;
  readonly targets: tf.Tensor;
  readonly axis: Axis;
  /** Which taps are plotted (blocks, time steps or sublayers, in order). */
  readonly taps: RegExp;
  /** Frees the model and the data. */
  dispose(): void;
}

/** Mean-field theory for plain stacks without normalization: χ₁ per layer. */
export interface MeanFieldTheory {
  readonly kind: 'mean field';
  /** σ_w² of the initialization (fan-in normalized). */
  readonly weightVariance: number;
  /** χ₁ = σ_w² E[φ′(h)²] at the fixed point q*: the factor on ‖∂L/∂h‖² per layer. */
  readonly chi1: number;
  readonly phase: string;
  /** The predicted ‖∂L/∂h_l‖ / ‖∂L/∂h_L‖ for each tap l (√χ₁ per layer). */
  readonly predicted: readonly number[];
}

/** Linear recurrent theory: ‖∂L/∂h_t‖ ∝ ρ^(T−1−t). */
export interface LagTheory {
  readonly kind: 'rho^lag';
  /** The recurrent matrix's spectral radius. */
  readonly rho: number;
  /** The predicted ‖∂L/∂h_t‖ / ‖∂L/∂h_T‖ for each time step. */
  readonly predicted: readonly number[];
}

/** Residual networks as ensembles of paths (Veit et al. 2016). */
export interface PathTheory {
  readonly kind: 'paths';
  /** Fraction of the 2^L paths with k branches, k = 0..L. */
  readonly pathFraction: readonly number[];
  /**
   * The per-block branch gain g implied by the measured growth (1 + g)^(L−1) = first/last, or
   * null when the gradient shrinks from the last block to the first.
   */
  readonly impliedGain: number | null;
  /** Share of the gradient carried by paths of length k, C(L, k) g^k / (1 + g)^L (null without g). */
  readonly gradientShare: readonly number[] | null;
  /** Mean path length, and the mean length weighted by gradient (null without g). */
  readonly meanLength: number;
  readonly effectiveLength: number | null;
  /** The shortest range of lengths that carries 90% of the gradient (null without g). */
  readonly range: { readonly kMin: number; readonly kMax: number } | null;
}

/** The theory overlaid on a measurement. */
export type Theory = MeanFieldTheory | LagTheory | PathTheory;

/** What the page shows and writes to `#gflow-state`. */
export interface Measurement {
  readonly config: PlaygroundConfig;
  readonly engine: string;
  readonly loss: number;
  readonly axis: Axis;
  /** ‖∂L/∂h‖ per tap, first block (or time step) to last. */
  readonly taps: readonly { readonly name: string; readonly gradNorm: number | null }[];
  /** ‖∂L/∂h_first‖ / ‖∂L/∂h_last‖. */
  readonly firstToLast: number | null;
  /** The theory overlaid, or null (with `theoryNote` saying why). */
  readonly theory: Theory | null;
  readonly theoryNote: string;
  readonly diagnosis: readonly { readonly kind: string; readonly message: string }[];
  /** Live tensors after the measurement (`tf.memory().numTensors`), to show that nothing leaks. */
  readonly numTensors: number;
}

/** σ_w² (times fan-in) of each initializer, for square layers and gain 1. */
const weightVariance: Record<PlaygroundConfig['init'], number> = {
  he: 2,
  xavier: 1, // 2/(fan_in + fan_out) · fan_in = 1 for square layers (and square conv kernels)
  lecun: 1,
  orthogonal: 1, // ‖Wx‖ = ‖x‖: σ_w² = 1 in the mean-field sense
};

function tensorOf(seed: number, shape: number[], scale = 1): tf.Tensor {
  return tf.tensor(
    normals(
      seed,
      shape.reduce((a, b) => a * b, 1),
      scale,
    ),
    shape,
  );
}

/** The model of a configuration (seeded, so the page and Node build the same weights). */
export function buildModel(c: PlaygroundConfig): Model {
  const mlp = {
    depth: c.depth,
    width: c.width,
    inputSize: INPUT_SIZE,
    outputSize: OUTPUT_SIZE,
    activation: c.activation,
    init: c.init,
    norm: c.norm,
    seed: c.seed,
  };
  const conv = {
    depth: c.depth,
    channels: c.width,
    inputChannels: IMAGE_CHANNELS,
    outputSize: OUTPUT_SIZE,
    activation: c.activation,
    init: c.init,
    norm: c.norm,
    seed: c.seed,
  };
  const rec = {
    inputSize: INPUT_SIZE,
    hiddenSize: c.width,
    outputSize: OUTPUT_SIZE,
    init: c.init,
    seed: c.seed,
  };
  const builders: Record<Family, () => Model> = {
    plain: () => plainMLP(mlp),
    residual: () => residualMLP({ ...mlp, branchScale: c.branch }),
    highway: () => highwayMLP(mlp),
    conv: () => plainConvNet(conv),
    resconv: () => residualConvNet({ ...conv, branchScale: c.branch }),
    rnn: () =>
      vanillaRNN({ ...rec, activation: c.activation, recurrentInit: { name: 'orthogonal', gain: c.rho } }),
    lstm: () => lstm(rec),
    gru: () => gru(rec),
    orthornn: () => orthogonalRNN({ ...rec, activation: c.activation }),
    transformer: () =>
      transformerStack({
        depth: c.depth,
        width: c.width,
        heads: c.width % 4 === 0 && c.width >= 16 ? 4 : 1,
        inputSize: INPUT_SIZE,
        outputSize: OUTPUT_SIZE,
        norm: c.placement,
        activation: c.activation,
        init: c.init,
        seed: c.seed,
      }),
  };
  return builders[c.family]();
}

/** The network and seeded random data of a configuration (the caller disposes it). */
export function buildProblem(c: PlaygroundConfig): Problem {
  const f = c.family;
  let inShape: number[];
  let outShape: number[];
  let scale = 1;
  let axis: Axis = 'block';
  let taps = /^blocks\.\d+$/;
  if (f === 'conv' || f === 'resconv') {
    inShape = [CONV_BATCH, IMAGE_SIZE, IMAGE_SIZE, IMAGE_CHANNELS];
    outShape = [CONV_BATCH, OUTPUT_SIZE];
  } else if (isRecurrent(f)) {
    inShape = [BATCH, c.length, INPUT_SIZE];
    outShape = [BATCH, OUTPUT_SIZE];
    scale = RECURRENT_INPUT_SCALE;
    axis = 'time step';
    taps = /^h\.\d+$/;
  } else if (f === 'transformer') {
    inShape = [BATCH, TOKENS, INPUT_SIZE];
    outShape = [BATCH, TOKENS, OUTPUT_SIZE];
    axis = 'sublayer';
    taps = /^layers\.\d+\.(attn|mlp)$/;
  } else {
    inShape = [BATCH, INPUT_SIZE];
    outShape = [BATCH, OUTPUT_SIZE];
  }
  const model = buildModel(c);
  const inputs = tensorOf(1000 + c.seed, inShape, scale);
  const targets = tensorOf(2000 + c.seed, outShape);
  return {
    config: c,
    model,
    inputs,
    targets,
    axis,
    taps,
    dispose: () => {
      model.dispose();
      tf.dispose([inputs, targets]);
    },
  };
}

/** The mean squared error of the problem's model on its data (training mode, as measured). */
export function lossOf(p: Problem): () => tf.Scalar {
  return () =>
    tf.tidy(
      () =>
        tf.losses.meanSquaredError(
          p.targets,
          p.model.apply(p.inputs, { training: true, tap: (_n, t) => t }),
        ) as tf.Scalar,
    );
}

/** The theory overlaid for a configuration with `taps` measured points, and why not when none. */
export function theoryFor(
  c: PlaygroundConfig,
  taps: readonly { readonly gradNorm: number | null }[],
): { theory: Theory | null; note: string } {
  const n = taps.length;
  const f = c.family;
  if (f === 'plain' || f === 'conv') {
    if (c.norm !== 'none') {
      return {
        theory: null,
        note: `mean-field theory here is for stacks without normalization (${c.norm} norm rescales every layer's input)`,
      };
    }
    const sw2 = weightVariance[c.init];
    const mf = meanField(c.activation, { weightVariance: sw2, biasVariance: 0 });
    const predicted = Array.from({ length: n }, (_, l) => mf.chi1 ** ((n - 1 - l) / 2));
    return {
      theory: { kind: 'mean field', weightVariance: sw2, chi1: mf.chi1, phase: mf.phase, predicted },
      note: '',
    };
  }
  if (f === 'rnn' || f === 'orthornn') {
    const rho = f === 'rnn' ? c.rho : 1;
    const predicted = Array.from({ length: n }, (_, t) => rho ** (n - 1 - t));
    return { theory: { kind: 'rho^lag', rho, predicted }, note: '' };
  }
  if (f === 'residual' || f === 'resconv') {
    const L = c.depth;
    const dist = pathLengthDistribution(L);
    const first = taps[0]?.gradNorm ?? null;
    const last = taps.at(-1)?.gradNorm ?? null;
    const ratio = first !== null && last !== null && last > 0 ? first / last : null;
    const g = ratio !== null && ratio > 1 && L > 1 ? ratio ** (1 / (L - 1)) - 1 : null;
    const eff = g !== null ? effectivePathContribution(L, g) : null;
    return {
      theory: {
        kind: 'paths',
        pathFraction: dist.probabilities,
        impliedGain: g,
        gradientShare: eff?.share ?? null,
        meanLength: dist.mean,
        effectiveLength: eff?.meanLength ?? null,
        range: eff ? { kMin: eff.range.kMin, kMax: eff.range.kMax } : null,
      },
      note: '',
    };
  }
  const why: Record<string, string> = {
    highway: 'no closed form for gated (highway) blocks: their gates set the flow per unit',
    lstm: 'no closed form for gated cells: the forget gate sets the per-step factor, learned per unit',
    gru: 'no closed form for gated cells: the update gate sets the per-step factor, learned per unit',
    transformer: 'no closed form for attention blocks in gflow',
  };
  return { theory: null, note: why[f] ?? '' };
}

function summarize(
  p: Problem,
  engine: string,
  loss: number,
  all: readonly { name: string; gradNorm: number | null }[],
  diagnosis: Measurement['diagnosis'],
): Measurement {
  const taps = all.filter((t) => p.taps.test(t.name)).map((t) => ({ name: t.name, gradNorm: t.gradNorm }));
  const first = taps[0]?.gradNorm ?? null;
  const last = taps.at(-1)?.gradNorm ?? null;
  const { theory, note } = theoryFor(p.config, taps);
  return {
    config: p.config,
    engine,
    loss,
    axis: p.axis,
    taps,
    firstToLast: first !== null && last !== null && last > 0 ? first / last : null,
    theory,
    theoryNote: note,
    diagnosis,
    numTensors: tf.memory().numTensors,
  };
}

/**
 * Measures ‖∂L/∂h‖ per block (or time step, or sublayer) of a problem's model at its current
 * weights with `measureGradientFlow` (training mode, mean squared error).
 *
 * @param p - The problem (its model is not changed).
 * @param engine - The engine's name, recorded in the result.
 * @returns The measurement with its theory overlay.
 */
export function measureProblem(p: Problem, engine: string): Measurement {
  const r = measureGradientFlow(p.model, { inputs: p.inputs, targets: p.targets, loss: 'meanSquaredError' });
  return summarize(
    p,
    engine,
    r.loss,
    r.taps.map((t) => ({ name: t.name, gradNorm: t.gradNorm })),
    r.diagnosis.map((f) => ({ kind: f.kind, message: f.message })),
  );
}

/**
 * Builds a configuration's network and data, measures it with {@link measureProblem} and frees
 * them: what the page shows for a fresh configuration, and what the Node test compares it with.
 *
 * @param c - The configuration.
 * @param engine - The engine's name, recorded in the result.
 */
export function measure(c: PlaygroundConfig, engine: string): Measurement {
  const p = buildProblem(c);
  try {
    return measureProblem(p, engine);
  } finally {
    p.dispose();
  }
}

/**
 * {@link measureProblem} with its read-back awaited (`measureGradientFlowAsync`), for webgpu:
 * tfjs reads a GPU tensor synchronously through a canvas, which some set-ups (headless Chromium
 * over SwiftShader) cannot do. The same report, diagnosis included, for every family: for the
 * orthogonal RNN the library awaits its generator's values before the forward pass (its host-side
 * matrix exponential then reads tfjs's host copy), and the exponential's gradient runs on the GPU.
 *
 * @param p - The problem (its model is not changed).
 * @param engine - The engine's name, recorded in the result.
 */
export async function measureProblemAsync(p: Problem, engine: string): Promise<Measurement> {
  const r = await measureGradientFlowAsync(
    p.model,
    { inputs: p.inputs, targets: p.targets },
    { loss: 'meanSquaredError' },
  );
  return summarize(
    p,
    engine,
    r.loss,
    r.taps.map((t) => ({ name: t.name, gradNorm: t.gradNorm })),
    r.diagnosis.map((f) => ({ kind: f.kind, message: f.message })),
  );
}

/**
 * How the library reads tensors back: `'async'` (the page, on every engine: gflow's `…Async`
 * functions await `data()`, so the main thread stays free and webgpu needs no synchronous canvas
 * copy) or `'sync'` (gflow's synchronous functions, which the Node test takes as its reference).
 */
export type Reads = 'sync' | 'async';

/** What {@link train} did. */
export interface TrainResult {
  /** The loss before each step (trainStep's loss), one per step. */
  readonly losses: number[];
  /** The raw global gradient norm of each step (before clipping). */
  readonly globalNorms: number[];
  /** Steps whose raw global norm exceeded the clipping bound (0 without clipping). */
  readonly clippedSteps: number;
  readonly clip: boolean;
  readonly learningRate: number;
}

/**
 * Trains a problem's model in place on its one batch with `trainStep` and Adam
 * ({@link LEARNING_RATE}), optionally through `clipByGlobalNorm(CLIP_NORM)`.
 *
 * @param p - The problem; its model's weights change.
 * @param steps - How many steps.
 * @param clip - Whether to clip the global gradient norm.
 * @param onProgress - Called after each step with the results so far; awaited, so a page can
 *   redraw and yield to the browser (the callback must not change the weights).
 * @param reads - `trainStepAsync` (default) or `trainStep`.
 * @returns The loss and raw global norm of every step.
 */
export async function train(
  p: Problem,
  steps: number,
  clip: boolean,
  onProgress?: (step: number, result: TrainResult) => void | Promise<void>,
  reads: Reads = 'async',
): Promise<TrainResult> {
  // ε given explicitly: tfjs's default is the engine's (1e-7 for float32, 1e-4 where webgl
  // reports 16-bit floats), which made the page and Node take different steps.
  const optimizer = tf.train.adam(LEARNING_RATE, 0.9, 0.999, ADAM_EPSILON);
  const state = createTrainState(clip ? { transform: clipByGlobalNorm(CLIP_NORM) } : {});
  const losses: number[] = [];
  const globalNorms: number[] = [];
  const result = (): TrainResult => ({
    losses,
    globalNorms,
    clippedSteps: clip ? globalNorms.filter((g) => g > CLIP_NORM).length : 0,
    clip,
    learningRate: LEARNING_RATE,
  });
  try {
    for (let i = 1; i <= steps; i++) {
      const step = reads === 'async' ? trainStepAsync : trainStep;
      const r = await step(p.model, { inputs: p.inputs, targets: p.targets }, state, {
        optimizer,
        loss: 'meanSquaredError',
      });
      losses.push(r.loss ?? Number.NaN);
      globalNorms.push(r.globalNorm);
      await onProgress?.(i, result());
    }
    return result();
  } finally {
    disposeTrainState(state);
    optimizer.dispose();
  }
}

/** The top Hessian eigenvalue of a problem's loss, as the page shows it. */
export interface TopEigenvalue {
  readonly lambda: number;
  readonly converged: boolean;
  /** Relative residual ‖Hv − λv‖/|λ| of the returned pair. */
  readonly residual: number;
  readonly tol: number;
  readonly hessianVectorProducts: number;
  /** 'exact' (double backpropagation) or 'finite-difference', and why. */
  readonly mode: string;
  readonly modeReason: string;
  readonly parameters: number;
  readonly seed: number;
}

/**
 * The eigenvalue of largest magnitude of the loss Hessian at the current weights
 * (`hessianEigenvalues`, Lanczos, k = 1, tolerance 1e-3, seeded by the configuration), and its
 * eigenvector for {@link lossLineOf}.
 *
 * @param p - The problem; its weights are left bit-identical.
 * @param reads - `hessianEigenvaluesAsync` (default) or `hessianEigenvalues`.
 */
export async function topEigenvalue(
  p: Problem,
  reads: Reads = 'async',
): Promise<{ result: TopEigenvalue; vector: ParameterVector }> {
  const seed = p.config.seed;
  const eigen = reads === 'async' ? hessianEigenvaluesAsync : hessianEigenvalues;
  const r = await eigen(lossOf(p), p.model, { k: 1, extremes: false, returnVectors: true, seed });
  return {
    result: {
      lambda: r.eigenvalues[0]!,
      converged: r.converged[0]!,
      residual: r.residuals[0]!,
      tol: r.tol,
      hessianVectorProducts: r.hessianVectorProducts,
      mode: r.mode,
      modeReason: r.modeReason,
      parameters: r.dim,
      seed,
    },
    vector: r.eigenvectors![0]!,
  };
}

/** A loss line as the page shows it. */
export interface LossLine {
  /** Which direction, in words. */
  readonly direction: string;
  readonly eigenvector: boolean;
  readonly alphas: readonly number[];
  readonly losses: readonly number[];
  readonly centerLoss: number;
  /** Along the top eigenvector: ½λα² + L(θ), the quadratic model (else null). */
  readonly quadratic: readonly number[] | null;
}

/**
 * The loss on a line through the current weights (`lossLine`, 41 points): along the top Hessian
 * eigenvector when one is given, over ±√(2L(θ)/λ) (where the quadratic model predicts the loss to
 * double), else along a random filter-normalized direction (`randomDirection`, Li et al. 2018)
 * over [−1, 1].
 *
 * @param p - The problem; its weights are left bit-identical.
 * @param top - The top eigenpair from {@link topEigenvalue}, or undefined for a random direction.
 * @param reads - `lossLineAsync` and `randomDirectionAsync` (default), or the synchronous ones.
 */
export async function lossLineOf(
  p: Problem,
  top?: { result: TopEigenvalue; vector: ParameterVector },
  reads: Reads = 'async',
): Promise<LossLine> {
  const f = lossOf(p);
  const line = reads === 'async' ? lossLineAsync : lossLine;
  if (top !== undefined && top.result.lambda > 0) {
    const at0 = f();
    const l0 = (await at0.data())[0]!;
    at0.dispose();
    const reach = Math.sqrt((2 * Math.max(l0, 1e-6)) / top.result.lambda);
    const r = await line(f, p.model, top.vector, { range: [-reach, reach], points: 41 });
    const lambda = top.result.lambda;
    return {
      direction: `top Hessian eigenvector (unit length; λ = ${lambda.toPrecision(4)})`,
      eigenvector: true,
      alphas: r.alphas,
      losses: r.losses,
      centerLoss: r.centerLoss,
      quadratic: r.alphas.map((a) => r.centerLoss + 0.5 * lambda * a * a),
    };
  }
  const seed = p.config.seed;
  const d = await (reads === 'async' ? randomDirectionAsync : randomDirection)(p.model, { seed });
  const r = await line(f, p.model, d, { range: [-1, 1], points: 41 });
  return {
    direction: `random direction, filter-normalized (Li et al. 2018), seed ${seed}`,
    eigenvector: false,
    alphas: r.alphas,
    losses: r.losses,
    centerLoss: r.centerLoss,
    quadratic: null,
  };
}
