import { meanField } from '@gflow/core';
import { measureGradientFlow } from '@gflow/diagnostics';
import { type Model, plainMLP, residualMLP } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import type { PlaygroundConfig } from './config.js';

/** Input features, output features and batch size of the random regression problem. */
export const INPUT_SIZE = 16;
export const OUTPUT_SIZE = 4;
export const BATCH = 32;

/** Deterministic standard-normal draws (a 32-bit LCG through Box–Muller), the same on every engine. */
export function normals(seed: number, n: number): Float32Array {
  let s = seed >>> 0 || 1;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out;
}

/** The mean-field prediction for a plain MLP: χ₁ and the first-to-last ratio χ₁^((L−1)/2). */
export interface Theory {
  /** σ_w² of the initialization (fan-in normalized). */
  readonly weightVariance: number;
  /** χ₁ = σ_w² E[φ′(h)²] at the fixed point q*: the factor on ‖∂L/∂h‖² per layer. */
  readonly chi1: number;
  /** The predicted ‖∂L/∂h_l‖ / ‖∂L/∂h_L‖ for each tap l (√χ₁ per layer). */
  readonly predicted: readonly number[];
  readonly phase: string;
}

/** What the page shows and writes to `#gflow-state`. */
export interface Measurement {
  readonly config: PlaygroundConfig;
  readonly engine: string;
  readonly loss: number;
  /** ‖∂L/∂h‖ per tap, first block to last. */
  readonly taps: readonly { readonly name: string; readonly gradNorm: number | null }[];
  /** ‖∂L/∂h_first‖ / ‖∂L/∂h_last‖. */
  readonly firstToLast: number | null;
  /** Mean-field theory (plain MLPs only; null for residual). */
  readonly theory: Theory | null;
  readonly diagnosis: readonly { readonly kind: string; readonly message: string }[];
}

/** σ_w² (times fan-in) of each initializer, for square layers and gain 1. */
const weightVariance: Record<PlaygroundConfig['init'], (act: PlaygroundConfig['activation']) => number> = {
  he: () => 2,
  xavier: () => 1, // 2/(fan_in + fan_out) · fan_in = 1 for square layers
  lecun: () => 1,
  orthogonal: () => 1, // ‖Wx‖ = ‖x‖: σ_w² = 1 in the mean-field sense
};

/** The model of a configuration (seeded, so the page and Node build the same weights). */
export function buildModel(c: PlaygroundConfig): Model {
  const o = {
    depth: c.depth,
    width: c.width,
    inputSize: INPUT_SIZE,
    outputSize: OUTPUT_SIZE,
    activation: c.activation,
    init: c.init,
    seed: c.seed,
  };
  return c.family === 'plain' ? plainMLP(o) : residualMLP(o);
}

/** The mean-field overlay for a plain MLP with `taps` blocks (null for residual networks). */
export function theoryFor(c: PlaygroundConfig, taps: number): Theory | null {
  if (c.family !== 'plain') return null;
  const sw2 = weightVariance[c.init](c.activation);
  const mf = meanField(c.activation, { weightVariance: sw2, biasVariance: 0 });
  const predicted = Array.from({ length: taps }, (_, l) => mf.chi1 ** ((taps - 1 - l) / 2));
  return { weightVariance: sw2, chi1: mf.chi1, predicted, phase: mf.phase };
}

/**
 * Measures ‖∂L/∂h‖ per layer for a configuration on the current engine: `measureGradientFlow` on
 * random regression data (inputs and targets from {@link normals}, mean squared error).
 */
export function measure(c: PlaygroundConfig, engine: string): Measurement {
  const model = buildModel(c);
  const inputs = tf.tensor2d(normals(1000 + c.seed, BATCH * INPUT_SIZE), [BATCH, INPUT_SIZE]);
  const targets = tf.tensor2d(normals(2000 + c.seed, BATCH * OUTPUT_SIZE), [BATCH, OUTPUT_SIZE]);
  try {
    const r = measureGradientFlow(model, { inputs, targets, loss: 'meanSquaredError' });
    const blocks = r.taps.filter((t) => /^blocks\.\d+$/.test(t.name));
    const taps = blocks.map((t) => ({ name: t.name, gradNorm: t.gradNorm }));
    const first = taps[0]?.gradNorm ?? null;
    const last = taps.at(-1)?.gradNorm ?? null;
    return {
      config: c,
      engine,
      loss: r.loss,
      taps,
      firstToLast: first !== null && last !== null && last > 0 ? first / last : null,
      theory: theoryFor(c, taps.length),
      diagnosis: r.diagnosis.map((f) => ({ kind: f.kind, message: f.message })),
    };
  } finally {
    model.dispose();
    tf.dispose([inputs, targets]);
  }
}

/** The Euclidean norm in float64, scaled so that no square under- or overflows. */
function norm64(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  if (m === 0 || !Number.isFinite(m)) return m;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i]! / m) ** 2;
  return m * Math.sqrt(s);
}

/**
 * {@link measure} with asynchronous reads only, for webgpu: tfjs reads a GPU tensor synchronously
 * through a canvas, which some set-ups (headless Chromium over SwiftShader) cannot do. The same
 * ‖∂L/∂h‖ per block (training mode, mean squared error, the same data), computed by adding a zero
 * tensor at each tap and differentiating with respect to it; no diagnosis.
 */
export async function measureAsync(c: PlaygroundConfig, engine: string): Promise<Measurement> {
  const model = buildModel(c);
  const inputs = tf.tensor2d(normals(1000 + c.seed, BATCH * INPUT_SIZE), [BATCH, INPUT_SIZE]);
  const targets = tf.tensor2d(normals(2000 + c.seed, BATCH * OUTPUT_SIZE), [BATCH, OUTPUT_SIZE]);
  const names: string[] = [];
  const shapes: number[][] = [];
  try {
    tf.tidy(() => {
      model.apply(inputs, {
        training: true,
        tap: (n, t) => {
          names.push(n);
          shapes.push(t.shape);
          return t;
        },
      });
    });
    const zeros = shapes.map((s) => tf.zeros(s));
    const { value, grads } = tf.valueAndGrads((...zs: tf.Tensor[]) => {
      let k = 0;
      const y = model.apply(inputs, { training: true, tap: (_n, t) => tf.add(t, zs[k++]!) });
      return tf.losses.meanSquaredError(targets, y) as tf.Scalar;
    })(zeros);
    const loss = (await value.data())[0]!;
    const all: { name: string; gradNorm: number | null }[] = [];
    for (let i = 0; i < names.length; i++)
      all.push({ name: names[i]!, gradNorm: norm64(await grads[i]!.data()) });
    tf.dispose([value, ...grads, ...zeros]);
    const taps = all.filter((t) => /^blocks\.\d+$/.test(t.name));
    const first = taps[0]?.gradNorm ?? null;
    const last = taps.at(-1)?.gradNorm ?? null;
    return {
      config: c,
      engine,
      loss,
      taps,
      firstToLast: first !== null && last !== null && last > 0 ? first / last : null,
      theory: theoryFor(c, taps.length),
      diagnosis: [],
    };
  } finally {
    model.dispose();
    tf.dispose([inputs, targets]);
  }
}
