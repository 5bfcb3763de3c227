/**
 * Shared measurement helpers of the report sections: seeded data, one backward pass through
 * `gradientTape` (from @gflow/diagnostics) with the input tapped too, number formatting.
 */
import { GradientMonitor, gradientTape, tensorNorms } from '@gflow/diagnostics';
import type { Module } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';

/** Seeded N(0, 1) tensor; the caller disposes it. */
export function normal(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

/** Mean squared error, ½·mean((ŷ − y)²)·2 = mean((ŷ − y)²). */
export function mse(y: tf.Tensor, yHat: tf.Tensor): tf.Scalar {
  return tf.mean(tf.square(tf.sub(yHat, y)));
}

const INPUT = '__input__';
let inputCounter = 0;

/** What one backward pass measured. */
export interface TapMeasurement {
  /** Loss value. */
  readonly loss: number;
  /** ‖∂L/∂h‖ at each tap the model made, in forward order (name → norm). */
  readonly taps: readonly { readonly name: string; readonly gradNorm: number | null }[];
  /** ‖∂L/∂x‖ for the input. */
  readonly inputGradNorm: number | null;
  /** Parameter gradient norms by parameter name. */
  readonly paramGradNorms: Readonly<Record<string, number>>;
}

/**
 * One forward and backward pass of `loss(y, model(x))` through `gradientTape`. The input enters
 * as one more differentiated parameter (`input`), which gives ∂L/∂x: a tap on a tensor that no
 * variable feeds receives no gradient, since tfjs prunes the tape to paths from variables.
 * Leaves no tensors behind.
 *
 * @param model - The model.
 * @param x - Input batch.
 * @param y - Targets.
 * @param opts - `loss` (default {@link mse}); `training` as the model sees it (default true).
 * @returns Plain numbers.
 */
export function measureTaps(
  model: Module,
  x: tf.Tensor,
  y: tf.Tensor,
  opts: { loss?: (y: tf.Tensor, yHat: tf.Tensor) => tf.Scalar; training?: boolean } = {},
): TapMeasurement {
  const loss = opts.loss ?? mse;
  const input = tf.variable(x, false, `gflowDemoInput${inputCounter++}`);
  let tape: ReturnType<typeof gradientTape>;
  try {
    tape = gradientTape((ctx) => loss(y, model.apply(input, ctx)), {
      params: [...model.parameters(), { name: INPUT, variable: input, role: 'other' }],
      taps: 'norms',
      training: opts.training ?? true,
    });
  } catch (e) {
    input.dispose();
    throw e;
  }
  try {
    const paramGradNorms: Record<string, number> = {};
    // Scale-safe: tf.norm's float32 Σg² would say 0 below 1e-19 and ∞ above 1.8e19.
    Object.assign(paramGradNorms, tensorNorms(tape.paramGrads));
    const inputGradNorm = paramGradNorms[INPUT] ?? null;
    delete paramGradNorms[INPUT];
    return {
      loss: tape.lossValue,
      taps: tape.tapStats.map((t) => ({ name: t.name, gradNorm: t.gradNorm })),
      inputGradNorm,
      paramGradNorms,
    };
  } finally {
    tape.dispose();
    input.dispose();
  }
}

/** Formats a number with 3 significant digits (scientific below 0.01 and from 10⁴). */
export function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined) return 'n/a';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-2 && a < 1e4) return Number(v.toPrecision(3)).toString();
  return v.toExponential(2);
}

/** The index of block `blocks.<i>` in a tap name (or -1). */
export function blockIndex(name: string): number {
  const m = /^blocks\.(\d+)$/.exec(name);
  return m ? Number(m[1]) : -1;
}

/**
 * The per-step factor r of a geometric sequence, fitted by least squares on logs:
 * ln g(k) ≈ a + k·ln r over the k ≤ maxK where g(k) is finite and positive (an exact 0, a gradient
 * whose every float32 element underflowed, is skipped).
 *
 * @param g - Values by step k (null where unmeasured).
 * @param maxK - Last step used.
 * @returns r, or null with fewer than two usable points.
 */
export function fittedRate(g: readonly (number | null | undefined)[], maxK: number): number | null {
  let n = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let k = 0; k <= Math.min(maxK, g.length - 1); k++) {
    const v = g[k];
    if (v === null || v === undefined || !(v > 0) || !Number.isFinite(v)) continue;
    const y = Math.log(v);
    n += 1;
    sx += k;
    sy += y;
    sxx += k * k;
    sxy += k * y;
  }
  if (n < 2) return null;
  return Math.exp((n * sxy - sx * sy) / (n * sxx - sx * sx));
}

/**
 * A monitor that keeps only what `trainStep({ taps: true })` records of the taps (‖∂L/∂h‖ per tap,
 * for the heat maps) and the norms every record has: every other statistic off, one record kept.
 * The caller disposes it.
 */
export function tapsOnlyMonitor(): GradientMonitor {
  return new GradientMonitor({
    capacity: 1,
    moments: false,
    cosine: false,
    updateRatio: false,
    weightNorms: false,
    deadUnits: false,
    histogram: false,
  });
}
