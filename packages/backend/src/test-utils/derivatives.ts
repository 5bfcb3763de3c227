import * as tf from '@tensorflow/tfjs';
import { relErr } from './random.js';

/** What {@link checkDerivatives} measured. */
export interface DerivativeCheck {
  /** ‖∇f(tfjs) − ∇f(float64 central differences)‖ / ‖reference‖. */
  readonly gradErr: number;
  /** ‖Hv(tfjs double backprop) − Hv(float64 mixed central differences)‖ / ‖reference‖. */
  readonly hvpErr: number;
  /** ‖reference Hv‖ (to make sure the test is not comparing zeros). */
  readonly hvpNorm: number;
}

/**
 * Compares tfjs's gradient and its Hessian-vector product by double backprop with float64 central
 * finite differences of an independent plain-JS implementation `ref` of the same function.
 *
 * ∂f/∂wᵢ ≈ (f(w + heᵢ) − f(w − heᵢ)) / 2h;
 * (Hv)ᵢ ≈ (f(w + heᵢ + hv) − f(w + heᵢ − hv) − f(w − heᵢ + hv) + f(w − heᵢ − hv)) / 4h².
 */
export function checkDerivatives(
  f: (w: tf.Tensor1D) => tf.Scalar,
  ref: (w: Float64Array) => number,
  w0: Float64Array,
  v0: Float64Array,
  h = 1e-4,
): DerivativeCheck {
  const n = w0.length;
  const [grad, hvp] = tf.tidy(() => {
    const w = tf.tensor1d(Float32Array.from(w0));
    const v = tf.tensor1d(Float32Array.from(v0));
    const gradFn = tf.grad(f as (x: tf.Tensor) => tf.Tensor);
    const g = gradFn(w);
    const hv = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(gradFn(x), v)))(w);
    return [g.dataSync().slice(), hv.dataSync().slice()];
  });
  const refGrad = new Float64Array(n);
  const refHvp = new Float64Array(n);
  const at = (i: number, si: number, sv: number): number => {
    const w = Float64Array.from(w0);
    for (let j = 0; j < n; j++) w[j] = w[j]! + sv * h * v0[j]!;
    w[i] = w[i]! + si * h;
    return ref(w);
  };
  for (let i = 0; i < n; i++) {
    const hg = 1e-6;
    const wp = Float64Array.from(w0);
    const wm = Float64Array.from(w0);
    wp[i] = wp[i]! + hg;
    wm[i] = wm[i]! - hg;
    refGrad[i] = (ref(wp) - ref(wm)) / (2 * hg);
    refHvp[i] = (at(i, 1, 1) - at(i, 1, -1) - at(i, -1, 1) + at(i, -1, -1)) / (4 * h * h);
  }
  let hvpNorm = 0;
  for (const x of refHvp) hvpNorm += x * x;
  return { gradErr: relErr(grad, refGrad), hvpErr: relErr(hvp, refHvp), hvpNorm: Math.sqrt(hvpNorm) };
}

/** Runs `body` and asserts it leaves no tensor behind. */
export function noLeak(body: () => void): void {
  const before = tf.memory().numTensors;
  body();
  const after = tf.memory().numTensors;
  if (after !== before) throw new Error(`leaked ${after - before} tensors`);
}
